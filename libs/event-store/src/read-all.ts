import type pg from 'pg';
import { type RecordedEvent } from '#contracts';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './event-rows.js';

/** Where a reader of all events stands: after this (transaction, position) pair. */
export interface ReadAllCursor {
  transactionId: string;
  globalPosition: string;
}

/** Before the first event. */
export const START_CURSOR: ReadAllCursor = Object.freeze({ transactionId: '0', globalPosition: '0' });

export interface ReadAllPage {
  events: RecordedEvent[];
  /** Pass it to the next `readAll`; equal to the given cursor when no event was read. */
  next: ReadAllCursor;
  /** Fewer events than the limit: the reader has seen everything that is safe to read now. */
  caughtUp: boolean;
}

export async function readAllPage(queryable: pg.Pool | pg.PoolClient, cursor: ReadAllCursor, limit: number): Promise<ReadAllPage> {
  const result = await queryable.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM es_events
     WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
       AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY es_events.transaction_id, es_events.global_position
     LIMIT $3`,
    [cursor.transactionId, cursor.globalPosition, limit],
  );
  const events = result.rows.map(toRecordedEvent);
  const last = events.at(-1);
  return {
    events,
    next: last ? { transactionId: last.transactionId, globalPosition: last.globalPosition } : cursor,
    caughtUp: events.length < limit,
  };
}
