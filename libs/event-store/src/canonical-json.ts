import { hash } from 'node:crypto';

/**
 * JSON with object keys sorted (by UTF-16 code units) at every depth and no whitespace. Values are taken as
 * `JSON.stringify` takes them (`toJSON`, undefined properties dropped), so what is hashed is exactly what
 * PostgreSQL stores as jsonb and gives back.
 */
export function canonicalJson(value: unknown): string {
  const encoded = encode(value);
  if (encoded === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return encoded;
}

function encode(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: bigint has no JSON form');
    case 'object':
      return value === null ? 'null' : encodeObject(value);
    default:
      return undefined;
  }
}

function encodeObject(value: object): string | undefined {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return encode((value as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let index = 0; index < value.length; index += 1) {
      out += `${index > 0 ? ',' : ''}${encode(value[index]) ?? 'null'}`;
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    const member = encode(record[key]);
    if (member === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${member}`;
  }
  return `${out}}`;
}

/** What the hash of an event covers: everything the event says, and where and when it was recorded. */
export interface HashedEventFields {
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
  recordedAt: Date;
}

/** SHA-256 (hex) over the previous hash of the stream (empty for the first event), a newline and the event. */
export function eventHash(prevHash: string | null, event: HashedEventFields): string {
  return eventHashOfEncoded(prevHash, event, canonicalJson(event.data), canonicalJson(event.metadata));
}

/**
 * `eventHash` for an event whose data and metadata are already canonical JSON: the body is
 * `canonicalJson` of all hashed fields, assembled here in sorted key order without encoding them twice.
 */
export function eventHashOfEncoded(prevHash: string | null, event: Omit<HashedEventFields, 'data' | 'metadata'>, data: string, metadata: string): string {
  const body =
    `{"data":${data},"eventId":${JSON.stringify(event.eventId.toLowerCase())},"metadata":${metadata},` +
    `"recordedAt":${JSON.stringify(event.recordedAt.toISOString())},"schemaVersion":${JSON.stringify(event.schemaVersion)},` +
    `"streamId":${JSON.stringify(event.streamId)},"streamVersion":${JSON.stringify(event.streamVersion)},"type":${JSON.stringify(event.type)}}`;
  return hash('sha256', `${prevHash ?? ''}\n${body}`, 'hex');
}
