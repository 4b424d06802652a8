import { type EventMetadata, type RecordedEvent } from '#contracts';

/**
 * The columns every read selects, in the shape `toRecordedEvent` maps. Some are cast to text under their own
 * names: an ORDER BY must name those as `es_events.<column>`, or it sorts the text.
 */
export const EVENT_COLUMNS = `global_position::text AS global_position, transaction_id::text AS transaction_id, stream_id,
  stream_version, event_id::text AS event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash`;

export interface EventRow {
  global_position: string;
  transaction_id: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: object;
  metadata: EventMetadata;
  recorded_at: Date;
  prev_hash: string | null;
  hash: string;
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    globalPosition: row.global_position,
    transactionId: row.transaction_id,
    recordedAt: row.recorded_at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
