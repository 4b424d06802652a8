import pg from 'pg';
import { isUuid, type NewEvent, type RecordedEvent } from '#contracts';
import { encodeEvents, type EncodedEvent } from './append-batch.js';
import { AppendQueue } from './append-queue.js';
import { canonicalJson } from './canonical-json.js';
import { databaseName, databaseUrlFromEnv, parseDatabaseUrl } from './database-url.js';
import {
  EventIdConflictError,
  EventStoreClosedError,
  EventStoreNotMigratedError,
  InvalidAppendError,
  WrongExpectedVersionError,
  type ExpectedVersion,
} from './errors.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './event-rows.js';
import { readAllPage, START_CURSOR, type ReadAllCursor, type ReadAllPage } from './read-all.js';
import { Subscription, type SubscriptionHandler, type SubscriptionOptions } from './subscription.js';
import { verifyPruneCheckpoints, type CheckpointReport } from './retention.js';
import { verifyHashChains, type VerifyReport } from './verify.js';
import { verifyDigests, type DigestReport } from './digests.js';
import { type KeyObject } from 'node:crypto';

export interface EventStoreOptions {
  /** Default: `DATABASE_URL`, else `DEFAULT_DATABASE_URL`. */
  databaseUrl?: string;
  /** Shown in `pg_stat_activity`; default `clawgate`. */
  applicationName?: string;
  /** Connections in the pool; default 10. */
  poolSize?: number;
  /**
   * A role every connection switches to (`SET ROLE` at connection start), e.g. `clawgate_app` for a service
   * that logs in as a member of it. Default: the login role itself.
   */
  role?: string;
  /** `idle_in_transaction_session_timeout` of every connection; default 60 000 ms. */
  idleInTransactionTimeoutMs?: number;
  /**
   * Append statements running at once; appends made meanwhile wait and go together in the next one (one
   * transaction, one commit). Default 1 (docs/event-store.md, "Decisions").
   */
  appendConcurrency?: number;
}

export interface AppendOptions {
  expectedVersion: ExpectedVersion;
}

export interface AppendResult {
  streamId: string;
  /** The version of the stream's last event after the append. */
  streamVersion: number;
  /** The appended events' global positions (bigints as decimal strings), in order. */
  globalPositions: string[];
  /** The appended events as recorded. */
  events: RecordedEvent[];
  /** True when every event was already recorded identically: nothing was written. */
  alreadyRecorded: boolean;
}

export interface ReadStreamOptions {
  /** First version to return; default 1. */
  fromVersion?: number;
  /** Last version to return; default the stream's last. */
  toVersion?: number;
}

const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;
const DEFAULT_APPEND_CONCURRENCY = 1;

/**
 * The append-only, hash-chained event store (DESIGN.md §3). One instance per process; it holds a pool.
 */
export class EventStore {
  private closed = false;
  private readonly subscriptions = new Set<Subscription>();
  private readonly appends: AppendQueue;

  private constructor(
    private readonly pool: pg.Pool,
    appendConcurrency: number,
  ) {
    this.appends = new AppendQueue(pool, appendConcurrency);
  }

  static async connect(options: EventStoreOptions = {}): Promise<EventStore> {
    const appendConcurrency = options.appendConcurrency ?? DEFAULT_APPEND_CONCURRENCY;
    if (!(Number.isInteger(appendConcurrency) && appendConcurrency >= 1)) throw new TypeError(`appendConcurrency must be an integer >= 1, not ${appendConcurrency}`);
    const databaseUrl = options.databaseUrl ?? databaseUrlFromEnv();
    const name = databaseName(parseDatabaseUrl(databaseUrl));
    const settings = [`-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS}`];
    if (options.role) settings.push(`-c role=${options.role}`);
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      application_name: options.applicationName ?? 'clawgate',
      max: options.poolSize ?? 10,
      options: settings.join(' '),
    });
    // An idle connection that breaks (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const found = await pool.query<{ table: string | null }>(`SELECT to_regclass('es_events')::text AS table`);
      if (!found.rows[0]?.table) throw new EventStoreNotMigratedError(name);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new EventStore(pool, appendConcurrency);
  }

  /**
   * Appends `events` to `streamId` in one transaction, after checking the stream is at `expectedVersion`:
   * `'no-stream'` (no event yet), a number (exactly that many events), or `'any'`.
   *
   * Re-appending events that are already recorded identically (same ids, stream, order and content) is a
   * no-op that returns them, whatever the expected version: a redelivered handler succeeds. An id recorded
   * with other content throws `EventIdConflictError`; a stream at another version `WrongExpectedVersionError`.
   */
  async append(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    validateAppend(streamId, events, options.expectedVersion);
    const encoded = encodeEvents(events);
    const outcome = await this.appends.submit({ streamId, encoded, expected: options.expectedVersion, recordedAt: new Date() });
    if (outcome.kind === 'appended') {
      const last = outcome.events.at(-1)!;
      return { streamId, streamVersion: last.streamVersion, globalPositions: outcome.events.map((event) => event.globalPosition), events: outcome.events, alreadyRecorded: false };
    }
    const recorded = await this.alreadyRecorded(streamId, encoded, outcome.kind === 'id-taken');
    if (recorded) return recorded;
    throw new WrongExpectedVersionError(streamId, options.expectedVersion, outcome.kind === 'wrong-version' ? outcome.actualVersion : 0);
  }

  /**
   * After a refused append: the events as recorded if this exact batch was appended before, undefined if
   * none of its ids is recorded. Any other overlap is a conflict.
   */
  private async alreadyRecorded(streamId: string, encoded: EncodedEvent[], idTaken: boolean): Promise<AppendResult | undefined> {
    const ids = encoded.map(({ event }) => event.eventId.toLowerCase());
    const rows = await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM es_events WHERE event_id = ANY($1::uuid[])`, [ids]);
    const byId = new Map(rows.rows.map((row) => [row.event_id, toRecordedEvent(row)]));
    if (byId.size === 0) {
      if (idTaken) throw new EventIdConflictError(ids[0]!, streamId, 'the id was taken concurrently; read the stream and decide again');
      return undefined;
    }
    if (byId.size < ids.length) {
      const recordedId = ids.find((id) => byId.has(id))!;
      throw new EventIdConflictError(recordedId, streamId, 'already recorded, in a batch without the other events given now');
    }
    const recorded: RecordedEvent[] = [];
    for (const [index, { event, data, metadata }] of encoded.entries()) {
      const existing = byId.get(ids[index]!)!;
      const reason =
        existing.streamId !== streamId
          ? `already recorded in stream ${existing.streamId}`
          : existing.type !== event.type ||
              existing.schemaVersion !== event.schemaVersion ||
              canonicalJson(existing.data) !== data ||
              canonicalJson(existing.metadata) !== metadata
            ? 'already recorded with different content'
            : index > 0 && existing.streamVersion !== recorded[index - 1]!.streamVersion + 1
              ? 'already recorded, but not in this order'
              : undefined;
      if (reason) throw new EventIdConflictError(ids[index]!, streamId, reason);
      recorded.push(existing);
    }
    return {
      streamId,
      streamVersion: recorded.at(-1)!.streamVersion,
      globalPositions: recorded.map((event) => event.globalPosition),
      events: recorded,
      alreadyRecorded: true,
    };
  }

  /** The stream's events in version order (all, or the `fromVersion`..`toVersion` range); [] for no stream. */
  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const result = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events
       WHERE stream_id = $1 AND stream_version >= $2 AND stream_version <= $3
       ORDER BY stream_version`,
      [streamId, options.fromVersion ?? 1, options.toVersion ?? 2_147_483_647],
    );
    return result.rows.map(toRecordedEvent);
  }

  /** The version of the stream's last event; 0 when the stream has none. */
  async readStreamVersion(streamId: string): Promise<number> {
    this.assertOpen();
    const result = await this.pool.query<{ version: number }>('SELECT version FROM es_streams WHERE stream_id = $1', [streamId]);
    return result.rows[0]?.version ?? 0;
  }

  async readEvent(eventId: string): Promise<RecordedEvent | undefined> {
    this.assertOpen();
    if (!isUuid(eventId)) return undefined;
    const result = await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM es_events WHERE event_id = $1`, [eventId]);
    const row = result.rows[0];
    return row ? toRecordedEvent(row) : undefined;
  }

  /** The events of these ids that are recorded, in one query (ids not recorded, or not UUIDs, are left out). */
  async readEvents(eventIds: readonly string[]): Promise<RecordedEvent[]> {
    this.assertOpen();
    const ids = eventIds.filter(isUuid).map((id) => id.toLowerCase());
    if (ids.length === 0) return [];
    const result = await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM es_events WHERE event_id = ANY($1::uuid[])`, [ids]);
    return result.rows.map(toRecordedEvent);
  }

  /**
   * Up to `limit` events after `cursor`, gap-safe: in (transaction, position) order and only from
   * transactions older than every transaction still running, so an event that becomes visible later can never
   * land behind a cursor that already moved past it. Events of running transactions wait for the next call.
   */
  async readAll(cursor: ReadAllCursor = START_CURSOR, limit = 1000): Promise<ReadAllPage> {
    this.assertOpen();
    return readAllPage(this.pool, cursor, limit);
  }

  /**
   * Hands every event, from the subscription's checkpoint on and in gap-safe order, to `handler` in batches.
   * The handler's writes (through the `tx` it gets) and the new checkpoint commit in one transaction, so a
   * crash anywhere repeats a batch only if nothing of it was committed. One instance of a name runs at a
   * time: others wait for the checkpoint's row lock.
   */
  subscribe(name: string, handler: SubscriptionHandler, options: SubscriptionOptions = {}): Subscription {
    this.assertOpen();
    const subscription = new Subscription(this.pool, name, handler, options, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Recomputes every stream's hash chain and names the first event per stream that does not match. */
  async verify(): Promise<VerifyReport> {
    this.assertOpen();
    return verifyHashChains(this.pool);
  }
  /** Checks the signed digests (`es_digests`) with the public key: signatures, links, and each range's events as they are now. */
  async verifyDigests(publicKey: KeyObject): Promise<DigestReport> {
    return verifyDigests(this.pool, publicKey);
  }

  /** Checks the signed prune checkpoints (`es_prune_checkpoints`) and the pruned events' places and hashes they cover. */
  async verifyPruneCheckpoints(publicKey: KeyObject): Promise<CheckpointReport> {
    return verifyPruneCheckpoints(this.pool, publicKey);
  }

  /** How many prune checkpoints there are (verify says so when it has no key to check them with). */
  async pruneCheckpointCount(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM es_prune_checkpoints')).rows[0]!.n);
  }


  /** Stops the subscriptions and closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}


function validateAppend(streamId: string, events: NewEvent[], expected: ExpectedVersion): void {
  if (streamId.length === 0) throw new InvalidAppendError(streamId, 'the stream id is empty');
  if (!storableText(streamId)) throw new InvalidAppendError(streamId, 'the stream id has a NUL character or a lone UTF-16 surrogate');
  if (events.length === 0) throw new InvalidAppendError(streamId, 'no events to append');
  if (typeof expected === 'number' && !(Number.isInteger(expected) && expected >= 0)) {
    throw new InvalidAppendError(streamId, `expected version ${expected} is not 'no-stream', 'any' or a version >= 0`);
  }
  const seen = new Set<string>();
  for (const event of events) {
    if (!isUuid(event.eventId)) throw new InvalidAppendError(streamId, `event id "${event.eventId}" is not a UUID`);
    const id = event.eventId.toLowerCase();
    if (seen.has(id)) throw new InvalidAppendError(streamId, `event id ${id} appears twice`);
    seen.add(id);
    if (event.type.length === 0) throw new InvalidAppendError(streamId, `event ${id} has no type`);
    if (!storableText(event.type)) throw new InvalidAppendError(streamId, `event ${id}: the type has a NUL character or a lone UTF-16 surrogate`);
    if (!Number.isInteger(event.schemaVersion)) throw new InvalidAppendError(streamId, `event ${id}: schemaVersion is not an integer`);
  }
}

/** Text PostgreSQL can store as it is: no NUL, no lone UTF-16 surrogate (it cannot be encoded as UTF-8). */
function storableText(text: string): boolean {
  return !text.includes('\0') && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}
