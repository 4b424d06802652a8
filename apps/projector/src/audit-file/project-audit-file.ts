import { StreamIds, type RecordedEvent, type ToolCallRequested } from '#contracts';
import { type SubscriptionHandler, type SubscriptionTransaction } from '#event-store';
import { AUDITED_TYPES, auditLineOf, TOOL_OUTCOME_TYPES, type AuditLineSettings, type Sender } from './audit-file-lines.js';
import { type AuditFileWriter } from './audit-file-writer.js';

/** The subscription's name, hence its row in `es_checkpoints`. */
export const AUDIT_FILE_SUBSCRIPTION = 'projector:audit-file';

/** An event's place in gap-safe order. */
export interface ReadCursor {
  transactionId: bigint;
  globalPosition: bigint;
}

export function cursorOf(event: RecordedEvent): ReadCursor {
  return { transactionId: BigInt(event.transactionId), globalPosition: BigInt(event.globalPosition) };
}

function after(event: RecordedEvent, cursor: ReadCursor | undefined): boolean {
  if (!cursor) return true;
  const own = cursorOf(event);
  return own.transactionId > cursor.transactionId || (own.transactionId === cursor.transactionId && own.globalPosition > cursor.globalPosition);
}

/**
 * One batch of the audit-file subscription: the audit lines of its events, appended and flushed before the
 * checkpoint commits. Events at or before `resumeAfter` (the file's last line) are already in the file: a batch
 * re-sent after a crash between the flush and the commit writes only what is missing.
 */
export function auditFileHandler(file: AuditFileWriter, settings: AuditLineSettings, resumeAfter: ReadCursor | undefined): SubscriptionHandler {
  let written = resumeAfter;
  return async (events, tx) => {
    const fresh = events.filter((event) => after(event, written) && AUDITED_TYPES.has(event.type));
    if (fresh.length === 0) return;
    const senders = await loadSenders(tx, [...new Set(fresh.map((event) => event.metadata.correlationId))]);
    const toolCallIds = fresh.filter((event) => TOOL_OUTCOME_TYPES.has(event.type)).map((event) => (event.data as { toolCallId: string }).toolCallId);
    const toolRequests = await loadToolRequests(tx, toolCallIds);
    const lines = fresh.flatMap((event) => {
      const line = auditLineOf(event, { senders, toolRequests, settings });
      return line ? [JSON.stringify(line)] : [];
    });
    await file.append(lines);
    written = cursorOf(fresh.at(-1)!);
  };
}

async function loadSenders(tx: SubscriptionTransaction, correlationIds: string[]): Promise<Map<string, Sender>> {
  const rows = await tx.query<{ correlation_id: string; user_id: string; channel: string }>(
    `SELECT metadata->>'correlationId' AS correlation_id, data->'user'->>'id' AS user_id, data->>'channel' AS channel
     FROM es_events WHERE metadata->>'correlationId' = ANY($1::text[]) AND type = 'MessageReceived'`,
    [correlationIds],
  );
  return new Map(rows.map((row) => [row.correlation_id, { userId: row.user_id, channel: row.channel }]));
}

async function loadToolRequests(tx: SubscriptionTransaction, toolCallIds: string[]): Promise<Map<string, ToolCallRequested>> {
  if (toolCallIds.length === 0) return new Map();
  const rows = await tx.query<{ data: ToolCallRequested }>(`SELECT data FROM es_events WHERE stream_id = ANY($1::text[]) AND type = 'ToolCallRequested'`, [
    toolCallIds.map((id) => StreamIds.toolCall(id)),
  ]);
  return new Map(rows.map((row) => [row.data.toolCallId, row.data]));
}
