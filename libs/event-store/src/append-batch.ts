import { type NewEvent, type RecordedEvent } from '#contracts';
import { canonicalJson, eventHashOfEncoded } from './canonical-json.js';

/** An event with its data and metadata in canonical JSON: what is stored and what is hashed. */
export interface EncodedEvent {
  event: NewEvent;
  data: string;
  metadata: string;
}

export function encodeEvents(events: NewEvent[]): EncodedEvent[] {
  return events.map((event) => ({ event, data: canonicalJson(event.data), metadata: canonicalJson(event.metadata) }));
}

/** Where a stream's chain stands: its version and the hash of its last event. */
export interface StreamHead {
  version: number;
  hash: string | null;
}

/** A batch placed after a stream head: versions and hashes computed, ready to insert. */
export interface PreparedBatch {
  streamId: string;
  after: StreamHead;
  head: StreamHead;
  recordedAt: Date;
  versions: number[];
  prevHashes: (string | null)[];
  hashes: string[];
  /** The rows as one JSON array, the single parameter of the insert (no per-element array escaping). */
  json: string;
}

export function prepareBatch(streamId: string, encoded: EncodedEvent[], after: StreamHead, recordedAt: Date): PreparedBatch {
  const versions: number[] = [];
  const prevHashes: (string | null)[] = [];
  const hashes: string[] = [];
  let prevHash = after.hash;
  let json = '[';
  encoded.forEach(({ event, data, metadata }, index) => {
    const streamVersion = after.version + index + 1;
    const hash = eventHashOfEncoded(prevHash, { ...event, streamId, streamVersion, recordedAt }, data, metadata);
    json +=
      `${index > 0 ? ',' : ''}{"v":${streamVersion},"id":${JSON.stringify(event.eventId)},"t":${JSON.stringify(event.type)},` +
      `"sv":${event.schemaVersion},"p":${JSON.stringify(prevHash)},"h":"${hash}","d":${data},"m":${metadata}}`;
    versions.push(streamVersion);
    prevHashes.push(prevHash);
    hashes.push(hash);
    prevHash = hash;
  });
  json += ']';
  return { streamId, after, head: { version: after.version + encoded.length, hash: prevHash }, recordedAt, versions, prevHashes, hashes, json };
}

/**
 * The batch as recorded. Data and metadata are the objects the caller gave (not re-read): the database holds
 * their JSON form, which `readStream` returns.
 */
export function recordedBatch(batch: PreparedBatch, encoded: EncodedEvent[], rows: { global_position: string; transaction_id: string }[]): RecordedEvent[] {
  return encoded.map(({ event }, index) => ({
    eventId: event.eventId.toLowerCase(),
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    streamId: batch.streamId,
    streamVersion: batch.versions[index]!,
    globalPosition: rows[index]!.global_position,
    transactionId: rows[index]!.transaction_id,
    recordedAt: batch.recordedAt,
    prevHash: batch.prevHashes[index]!,
    hash: batch.hashes[index]!,
  }));
}

const INSERT_EVENTS = `
  INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
  SELECT $1, e.v, e.id, e.t, e.sv, e.d, e.m, $3, e.p, e.h
  FROM jsonb_to_recordset($2::jsonb) AS e (v int, id uuid, t text, sv int, p text, h text, d jsonb, m jsonb)
  WHERE EXISTS (SELECT FROM head)
  RETURNING global_position, transaction_id, stream_version`;

const RETURN_POSITIONS = `
  SELECT global_position::text AS global_position, transaction_id::text AS transaction_id, stream_version,
    NULL::int AS head_version, NULL::text AS head_hash
  FROM inserted
  UNION ALL
  SELECT NULL, NULL, NULL, s.version, s.last_hash FROM es_streams s WHERE s.stream_id = $1 AND NOT EXISTS (SELECT FROM head)
  ORDER BY stream_version`;

/**
 * One statement that moves the stream's head from `after` to `head` and inserts the events — or, when the
 * head is no longer at `after`, changes nothing and returns one row: the head as the statement saw it
 * (`head_version`, `head_hash`; it may be behind a writer that committed meanwhile — the retry checks again).
 * Run alone it is its own transaction.
 * $1 stream, $2 rows, $3 recorded at, $4 new version, $5 new hash, $6 old version, $7 old hash.
 */
export const APPEND_TO_EXISTING_STREAM = {
  name: 'es_append_existing',
  text: `WITH head AS (
      UPDATE es_streams SET version = $4, last_hash = $5, updated_at = $3
      WHERE stream_id = $1 AND version = $6 AND last_hash IS NOT DISTINCT FROM $7
      RETURNING 1
    ), inserted AS (${INSERT_EVENTS})
    ${RETURN_POSITIONS}`,
};

/** The same for a stream that does not exist yet: nothing happens if it does. $1..$5 as above. */
export const APPEND_TO_NEW_STREAM = {
  name: 'es_append_new',
  text: `WITH head AS (
      INSERT INTO es_streams (stream_id, version, last_hash, created_at, updated_at) VALUES ($1, $4, $5, $3, $3)
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING 1
    ), inserted AS (${INSERT_EVENTS})
    ${RETURN_POSITIONS}`,
};

export function appendValues(batch: PreparedBatch, withOldHead: boolean): unknown[] {
  const values: unknown[] = [batch.streamId, batch.json, batch.recordedAt, batch.head.version, batch.head.hash];
  return withOldHead ? [...values, batch.after.version, batch.after.hash] : values;
}
