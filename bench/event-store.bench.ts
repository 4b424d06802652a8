/**
 * Event store throughput against a plain table of the same shape (no constraints beyond the identity key, no
 * hashes, no version checks), on the local PostgreSQL. Prints one line per measurement and, last, one JSON
 * object with the medians. `npm run -s bench:event-store`; BENCH_SECONDS and BENCH_REPEATS shorten or
 * lengthen it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type NewEvent } from '#contracts';
import { DEFAULT_DATABASE_URL, EventStore, runMigrations, START_CURSOR, type ReadAllCursor } from '#event-store';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const READ_EVENTS = 200_000;
const READ_PAGE = 2000;
const BATCH = 50;

const cluster = new URL(process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL);
const databaseName = `bench_es_${randomBytes(4).toString('hex')}`;
const databaseUrl = new URL(cluster);
databaseUrl.pathname = `/${databaseName}`;

/** An event the size of a typical MessageReceived (~400 bytes of JSON). */
function benchEvent(n: number): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'MessageReceived',
    schemaVersion: 1,
    data: {
      messageId: `tg-${n}`,
      channel: 'telegram',
      account: 'default',
      chat: { id: '987654321', type: 'direct' },
      user: { id: '123456789', name: 'Zhang Wei' },
      text: 'Please summarise the deployment log of the payments service for yesterday.',
      textLength: 75,
      textSha256: 'b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184',
      receivedAt: '2026-11-24T12:00:00.000Z',
    },
    metadata: {
      correlationId: `tg-${n}`,
      causationId: `tg-${n}`,
      actor: { kind: 'user', id: '123456789', channel: 'telegram' },
      service: 'authz',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `writers` loops of `operation` for SECONDS; returns events per second. */
async function throughput(writers: number, eventsPerOperation: number, operation: (writer: number) => Promise<void>): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let operations = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      while (performance.now() < deadline) {
        await operation(writer);
        operations += 1;
      }
    }),
  );
  return (operations * eventsPerOperation) / ((performance.now() - started) / 1000);
}

async function measure(label: string, run: (repeat: number) => Promise<number>): Promise<number> {
  const results: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat += 1) results.push(await run(repeat));
  const result = Math.round(median(results));
  console.log(`${label}: median ${result} ev/s (runs: ${results.map((value) => Math.round(value)).join(', ')})`);
  return result;
}

const RAW_COLUMNS = 'stream_id, stream_version, event_id, type, schema_version, data, metadata';

async function rawInsert(client: pg.Pool | pg.PoolClient, streamId: string, firstVersion: number, events: NewEvent[]): Promise<void> {
  await client.query(
    `INSERT INTO raw_events (${RAW_COLUMNS})
     SELECT $1, e.v, e.id, e.t, e.sv, e.d, e.m FROM unnest($2::int[], $3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[]) AS e (v, id, t, sv, d, m)`,
    [
      streamId,
      events.map((_, index) => firstVersion + index),
      events.map((event) => event.eventId),
      events.map((event) => event.type),
      events.map((event) => event.schemaVersion),
      events.map((event) => JSON.stringify(event.data)),
      events.map((event) => JSON.stringify(event.metadata)),
    ],
  );
}

async function main(): Promise<void> {
  await runMigrations(databaseUrl.toString());
  const admin = new pg.Pool({ connectionString: databaseUrl.toString(), max: 8 });
  const store = await EventStore.connect({ databaseUrl: databaseUrl.toString(), poolSize: 8, applicationName: 'bench' });
  try {
    await admin.query(`
      CREATE TABLE raw_events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL, stream_version integer NOT NULL, event_id uuid NOT NULL, type text NOT NULL,
        schema_version integer NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(), prev_hash text, hash text
      )`);
    const machine = await admin.query<{ version: string; fsync: string; synchronous_commit: string }>(
      `SELECT version(), current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit`,
    );
    console.log(`${machine.rows[0]!.version}; fsync=${machine.rows[0]!.fsync}, synchronous_commit=${machine.rows[0]!.synchronous_commit}`);
    console.log(`node ${process.version}; ${SECONDS}s per run, ${REPEATS} runs each, median reported`);

    let sequence = 0;
    const versions = new Map<string, number>();
    const appendTo = async (streamId: string, count: number) => {
      const version = versions.get(streamId) ?? 0;
      const events = Array.from({ length: count }, () => benchEvent((sequence += 1)));
      const result = await store.append(streamId, events, { expectedVersion: version });
      versions.set(streamId, result.streamVersion);
    };
    const rawVersions = new Map<string, number>();
    const rawAppendTo = async (streamId: string, count: number) => {
      const version = rawVersions.get(streamId) ?? 0;
      await rawInsert(admin, streamId, version + 1, Array.from({ length: count }, () => benchEvent((sequence += 1))));
      rawVersions.set(streamId, version + count);
    };

    const results = {
      append_1w_eps: await measure('append, 1 writer, 1 event per append', (r) => throughput(1, 1, () => appendTo(`bench:1w:${r}`, 1))),
      raw_1w_eps: await measure('raw insert, 1 writer, 1 row per insert', (r) => throughput(1, 1, () => rawAppendTo(`bench:1w:${r}`, 1))),
      append_8w_eps: await measure('append, 8 writers (own streams), 1 event per append', (r) =>
        throughput(8, 1, (writer) => appendTo(`bench:8w:${r}:${writer}`, 1)),
      ),
      raw_8w_eps: await measure('raw insert, 8 writers, 1 row per insert', (r) => throughput(8, 1, (writer) => rawAppendTo(`bench:8w:${r}:${writer}`, 1))),
      append_batch50_eps: await measure(`append, 1 writer, batches of ${BATCH}`, (r) => throughput(1, BATCH, () => appendTo(`bench:batch:${r}`, BATCH))),
      raw_batch50_eps: await measure(`raw insert, 1 writer, batches of ${BATCH}`, (r) => throughput(1, BATCH, () => rawAppendTo(`bench:batch:${r}`, BATCH))),
      read_eps: 0,
      raw_read_eps: 0,
    };

    // Top both tables up to READ_EVENTS with batches, across several streams, for the read measurement.
    const fill = async (table: 'es_events' | 'raw_events', append: (streamId: string, count: number) => Promise<void>) => {
      const count = async () => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
      let missing = READ_EVENTS - (await count());
      let stream = 0;
      while (missing > 0) {
        await Promise.all(Array.from({ length: 4 }, (_, writer) => append(`bench:fill:${writer}:${Math.floor(stream / 200)}`, 500)));
        stream += 1;
        missing -= 2000;
      }
      return count();
    };
    const storedEvents = await fill('es_events', appendTo);
    const storedRaw = await fill('raw_events', rawAppendTo);
    await admin.query('VACUUM ANALYZE es_events');
    await admin.query('VACUUM ANALYZE raw_events');

    results.read_eps = await measure(`gap-safe readAll of ${storedEvents} events, pages of ${READ_PAGE}`, async () => {
      const started = performance.now();
      let cursor: ReadAllCursor = START_CURSOR;
      let read = 0;
      for (;;) {
        const page = await store.readAll(cursor, READ_PAGE);
        read += page.events.length;
        cursor = page.next;
        if (page.caughtUp) break;
      }
      if (read !== storedEvents) throw new Error(`read ${read} of ${storedEvents} events`);
      return read / ((performance.now() - started) / 1000);
    });
    results.raw_read_eps = await measure(`raw keyset SELECT of ${storedRaw} rows, pages of ${READ_PAGE}`, async () => {
      const started = performance.now();
      let after = '0';
      let read = 0;
      for (;;) {
        const page = await admin.query<{ global_position: string }>(
          `SELECT * FROM raw_events WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
          [after, READ_PAGE],
        );
        read += page.rows.length;
        if (page.rows.length < READ_PAGE) break;
        after = page.rows.at(-1)!.global_position;
      }
      if (read !== storedRaw) throw new Error(`read ${read} of ${storedRaw} rows`);
      return read / ((performance.now() - started) / 1000);
    });

    const verifyStarted = performance.now();
    const report = await store.verify();
    console.log(`verify: ${report.eventsChecked} events in ${report.streamsChecked} streams, ok=${report.ok}, ${Math.round(performance.now() - verifyStarted)} ms`);
    console.log(JSON.stringify(results));
  } finally {
    await store.close();
    await admin.end();
    const maintenance = new URL(cluster);
    maintenance.pathname = '/postgres';
    const client = new pg.Client({ connectionString: maintenance.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await client.end();
  }
}

await main();
