import { type NewEvent, type RecordedEvent } from '#contracts';
import { canonicalJson } from './canonical-json.js';
import { type ExpectedVersion } from './errors.js';

/** An event with its data and metadata in canonical JSON: what is stored and what is hashed. */
export interface EncodedEvent {
  event: NewEvent;
  data: string;
  metadata: string;
}

export function encodeEvents(events: NewEvent[]): EncodedEvent[] {
  return events.map((event) => ({ event, data: canonicalJson(event.data), metadata: canonicalJson(event.metadata) }));
}

/** One append, validated and encoded, as `es_append` takes it. */
export interface AppendRequest {
  streamId: string;
  encoded: EncodedEvent[];
  expected: ExpectedVersion;
  /** Fixed before the call: the hash covers it, so it is the appending process's clock (docs/event-store.md). */
  recordedAt: Date;
}

/** What `es_append` did with one append. */
export type AppendOutcome =
  | { kind: 'appended'; events: RecordedEvent[] }
  | { kind: 'wrong-version'; actualVersion: number }
  | { kind: 'id-taken' };

/** A row `es_append` returns: an inserted event (`ok`), or an append not made. */
export interface AppendFunctionRow {
  r_index: number;
  r_outcome: 'ok' | 'wrong-version' | 'id-taken';
  r_version: number | null;
  r_position: string | null;
  r_transaction: string | null;
  r_prev_hash: string | null;
  r_hash: string | null;
}

export const APPEND_STATEMENT = 'es_append';
const MAX_VERSION = 2_147_483_647;
export const APPEND_TEXT = 'SELECT r_index, r_outcome, r_version, r_position, r_transaction, r_prev_hash, r_hash FROM es_append($1::jsonb)';

/**
 * The appends as the single JSON parameter of `es_append` (migrations/1764600000000-AppendFunction.ts): data and
 * metadata travel as their canonical text, stream id and type also as the JSON strings the hash covers, so the
 * database hashes exactly what `eventHash` would.
 */
export function appendParameter(requests: readonly AppendRequest[]): string {
  let json = '[';
  requests.forEach(({ streamId, encoded, expected, recordedAt }, index) => {
    const streamJson = JSON.stringify(streamId);
    // A version beyond PostgreSQL's integer is no stream's: -1 never matches (nor creates the stream).
    const expectedVersion = expected === 'any' ? 'null' : expected === 'no-stream' ? '0' : expected > MAX_VERSION ? '-1' : String(expected);
    json += `${index > 0 ? ',' : ''}{"s":${streamJson},"sj":${JSON.stringify(streamJson)},"x":${expectedVersion},"ra":"${recordedAt.toISOString()}","e":[`;
    encoded.forEach(({ event, data, metadata }, position) => {
      const typeJson = JSON.stringify(event.type);
      json +=
        `${position > 0 ? ',' : ''}{"id":"${event.eventId.toLowerCase()}","t":${typeJson},"tj":${JSON.stringify(typeJson)},` +
        `"sv":${event.schemaVersion},"d":${JSON.stringify(data)},"m":${JSON.stringify(metadata)}}`;
    });
    json += ']}';
  });
  return `${json}]`;
}

/** The rows of one `es_append` call, one outcome per request, in the requests' order. */
export function appendOutcomes(requests: readonly AppendRequest[], rows: readonly AppendFunctionRow[]): AppendOutcome[] {
  const byRequest = requests.map((): AppendFunctionRow[] => []);
  for (const row of rows) byRequest[row.r_index]!.push(row);
  return requests.map((request, index) => {
    const own = byRequest[index]!;
    const first = own[0];
    if (!first) throw new Error(`es_append returned nothing for the append to ${request.streamId}`);
    if (first.r_outcome === 'wrong-version') return { kind: 'wrong-version', actualVersion: first.r_version! };
    if (first.r_outcome === 'id-taken') return { kind: 'id-taken' };
    if (own.length !== request.encoded.length) {
      throw new Error(`es_append recorded ${own.length} of the ${request.encoded.length} events appended to ${request.streamId}`);
    }
    return { kind: 'appended', events: recordedEvents(request, own) };
  });
}

/**
 * The events as recorded. Data and metadata are the objects the caller gave (not re-read): the database holds
 * their JSON form, which `readStream` returns.
 */
function recordedEvents({ streamId, encoded, recordedAt }: AppendRequest, rows: readonly AppendFunctionRow[]): RecordedEvent[] {
  return encoded.map(({ event }, index) => {
    const row = rows[index]!;
    return {
      eventId: event.eventId.toLowerCase(),
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: event.metadata,
      streamId,
      streamVersion: row.r_version!,
      globalPosition: row.r_position!,
      transactionId: row.r_transaction!,
      recordedAt,
      prevHash: row.r_prev_hash,
      hash: row.r_hash!,
    };
  });
}
