import pg from 'pg';
import {
  APPEND_STATEMENT,
  APPEND_TEXT,
  appendOutcomes,
  appendParameter,
  type AppendFunctionRow,
  type AppendOutcome,
  type AppendRequest,
} from './append-batch.js';

/** Appends one `es_append` call takes at most; more wait for the next call. */
const MAX_APPENDS_PER_CALL = 64;

interface Waiting {
  request: AppendRequest;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Sends appends to `es_append`: at most `concurrency` calls at a time, and the appends made while those run go
 * together in the next call — one statement, one transaction, one commit for all of them (group commit, no
 * timer: on a store with no call running, an append goes out at once). Each append keeps its own expected
 * version and outcome: one that conflicts leaves the others of its call appended. Should one append abort the
 * whole call (an event id inserted by a concurrent transaction meanwhile, a deadlock over it, data the database
 * refuses), the call's appends are sent again one by one, in order, so each caller gets its own answer; a broken
 * connection or a lock timeout is every caller's error.
 */
export class AppendQueue {
  private readonly waiting: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly concurrency: number,
  ) {}

  submit(request: AppendRequest): Promise<AppendOutcome> {
    return new Promise<AppendOutcome>((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_APPENDS_PER_CALL);
      this.running += 1;
      void this.send(batch).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  private async send(batch: Waiting[]): Promise<void> {
    let outcomes: AppendOutcome[];
    try {
      outcomes = await callAppend(this.pool, batch.map(({ request }) => request));
    } catch (error) {
      if (batch.length === 1 || !causedByOneAppend(error)) {
        for (const waiting of batch) settleAlone(waiting, error);
        return;
      }
      // One append's conflict aborted the call: each again alone, in order, so the others go through.
      for (const waiting of batch) {
        try {
          waiting.resolve((await callAppend(this.pool, [waiting.request]))[0]!);
        } catch (alone) {
          settleAlone(waiting, alone);
        }
      }
      return;
    }
    batch.forEach((waiting, index) => waiting.resolve(outcomes[index]!));
  }
}

async function callAppend(pool: pg.Pool, requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
  const { rows } = await pool.query<AppendFunctionRow>({ name: APPEND_STATEMENT, text: APPEND_TEXT, values: [appendParameter(requests)] });
  return appendOutcomes(requests, rows);
}

/**
 * Whether a call may have failed because of one of its appends: an event id inserted by a concurrent transaction,
 * a deadlock over it, data the database refuses. Not when the connection or server failed (SQLSTATE classes 08,
 * 57, or no SQLSTATE at all) or a lock timed out: each append alone would fail just the same, so it is every
 * caller's error.
 */
function causedByOneAppend(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError) || !error.code) return false;
  return !(error.code.startsWith('08') || error.code.startsWith('57') || error.code === '55P03');
}

/** An append's own failure: an event id inserted by a concurrent transaction is `id-taken`, like one found recorded. */
function settleAlone(waiting: Waiting, error: unknown): void {
  if (error instanceof pg.DatabaseError && error.code === '23505' && error.constraint === 'es_events_event_id_key') waiting.resolve({ kind: 'id-taken' });
  else waiting.reject(error);
}
