import { createHash } from 'node:crypto';

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
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return encode((value as { toJSON: () => unknown }).toJSON());
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => encode(item) ?? 'null').join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = encode(record[key]);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  }
  if (typeof value === 'bigint') throw new TypeError('canonicalJson: bigint has no JSON form');
  return JSON.stringify(value);
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
  return createHash('sha256').update(prevHash ?? '').update('\n').update(body).digest('hex');
}
