import { createHash } from 'node:crypto';

/** Who acted: the employee, a Clawgate service, or an administrator. */
export interface EventActor {
  kind: 'user' | 'service' | 'admin';
  id: string;
  channel?: string;
}

/** What every event carries besides its data (DESIGN.md §3). */
export interface EventMetadata {
  /** The inbound message the whole exchange started from. */
  correlationId: string;
  /** The event or message that directly caused this one. */
  causationId: string;
  actor: EventActor;
  service: string;
  traceparent?: string;
}

/** An event as a decision produces it, before the store gives it a place. */
export interface NewEvent {
  /** A UUID; derived events use `deterministicEventId` so a redelivered handler re-appends the same id. */
  eventId: string;
  type: string;
  schemaVersion: number;
  /** Any JSON object (typed event data such as `MessageAuthorized` is accepted as it is). */
  data: object;
  metadata: EventMetadata;
}

/** An event as the store recorded it. */
export interface RecordedEvent extends NewEvent {
  streamId: string;
  /** 1 for the first event of a stream, without gaps. */
  streamVersion: number;
  /** The `es_events.global_position` identity, a bigint as a decimal string. */
  globalPosition: string;
  /** The writing transaction's `xid8`, a decimal string; readers page by (transactionId, globalPosition). */
  transactionId: string;
  recordedAt: Date;
  /** The hash of the previous event of the stream; null for its first event. */
  prevHash: string | null;
  /** SHA-256 (hex) over `prevHash` and the canonical encoding of this event. */
  hash: string;
}

/** The UUID v5 namespace of every Clawgate event id. Never change it: ids already recorded depend on it. */
export const CLAWGATE_EVENT_ID_NAMESPACE = '6f1c5a3e-8d2b-5f47-9a0e-3c7b1d4e2f90';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** RFC 4122 name-based UUID, version 5 (SHA-1). */
export function uuidV5(name: string, namespace: string): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const digest = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the event that `purpose` derives from `name` (a message id, a tool-call id): the same inputs give
 * the same id on every delivery, so an append repeated after a redelivery hits the unique `event_id`.
 */
export function deterministicEventId(name: string, purpose: string): string {
  // The separator cannot occur in either part's length prefix, so ("a:b", "c") and ("a", "b:c") differ.
  return uuidV5(`${name.length}:${name}/${purpose}`, CLAWGATE_EVENT_ID_NAMESPACE);
}
