import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { type RecordedEvent } from '#contracts';
import { readAllPage, type ReadAllCursor } from './read-all.js';

/** The transaction a subscription handler writes through; the checkpoint commits with these writes. */
export interface SubscriptionTransaction {
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export type SubscriptionHandler = (events: RecordedEvent[], tx: SubscriptionTransaction) => Promise<void>;

export interface SubscriptionOptions {
  /** Events per handler call; default 500. */
  batchSize?: number;
  /** Wait between polls once caught up; default 200 ms. */
  pollIntervalMs?: number;
  /** Called each time a poll finds nothing new to handle (the subscription is caught up). */
  onIdle?: () => void;
}

/**
 * A running subscription. It ends when `stop()` is called or when the handler (or the database) fails:
 * `closed` then resolves with `undefined` or with the error, and the batch that failed was rolled back with
 * its checkpoint, so a restarted subscription does it again.
 */
export class Subscription {
  readonly closed: Promise<Error | undefined>;
  private stopping = false;
  private readonly wake = new AbortController();

  constructor(
    private readonly pool: pg.Pool,
    readonly name: string,
    private readonly handler: SubscriptionHandler,
    private readonly options: SubscriptionOptions,
    onClosed: () => void,
  ) {
    this.closed = this.run().then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    void this.closed.finally(onClosed);
  }

  /** Lets the running batch finish (or roll back), then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.closed;
  }

  private async run(): Promise<void> {
    await this.pool.query('INSERT INTO es_checkpoints (subscription) VALUES ($1) ON CONFLICT (subscription) DO NOTHING', [this.name]);
    while (!this.stopping) {
      const handled = await this.handleNextBatch();
      if (handled === 0 && !this.stopping) {
        this.options.onIdle?.();
        await sleep(this.options.pollIntervalMs ?? 200, undefined, { signal: this.wake.signal }).catch(() => undefined);
      }
    }
  }

  /** One transaction: lock the checkpoint, read the next page, run the handler, move the checkpoint. */
  private async handleNextBatch(): Promise<number> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const checkpoint = await client.query<{ transaction_id: string; global_position: string }>(
          `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
           FROM es_checkpoints WHERE subscription = $1 FOR UPDATE`,
          [this.name],
        );
        const row = checkpoint.rows[0];
        if (!row) throw new Error(`subscription ${this.name}: its checkpoint row is missing`);
        const cursor: ReadAllCursor = { transactionId: row.transaction_id, globalPosition: row.global_position };
        const page = await readAllPage(client, cursor, this.options.batchSize ?? 500);
        if (page.events.length === 0 || this.stopping) {
          await client.query('ROLLBACK');
          return 0;
        }
        await this.handler(page.events, {
          query: async <Row extends pg.QueryResultRow>(sql: string, params?: unknown[]) => (await client.query<Row>(sql, params)).rows,
        });
        await client.query(
          `UPDATE es_checkpoints SET transaction_id = $2::xid8, global_position = $3::bigint, updated_at = now()
           WHERE subscription = $1`,
          [this.name, page.next.transactionId, page.next.globalPosition],
        );
        await client.query('COMMIT');
        return page.events.length;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
