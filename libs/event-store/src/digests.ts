import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type pg from 'pg';
import { canonicalJson } from './canonical-json.js';
import { type SubscriptionTransaction } from './subscription.js';

/** A place in gap-safe order, as decimal strings. */
export interface DigestCursor {
  transactionId: string;
  globalPosition: string;
}

/** Per stream, the events of a digest's range: how many, the hash of the last, and their global positions. */
export type StreamTallies = Record<string, { count: number; lastHash: string; positions: string[] }>;

export interface SignedDigest {
  seq: number;
  from: DigestCursor;
  to: DigestCursor;
  eventCount: number;
  /** SHA-256 over the events' hashes in gap-safe order, one per line: their order is covered too. */
  eventsSha256: string;
  streams: StreamTallies;
  prevSignature: string | null;
  keyId: string;
  signature: string;
}

export interface DigestPolicy {
  /** Write a digest once this many events are not covered yet (default 1000)… */
  everyEvents: number;
  /** …or once the last digest is this old and events are waiting (default 300). */
  everySeconds: number;
}

export const DEFAULT_DIGEST_POLICY: DigestPolicy = { everyEvents: 1000, everySeconds: 300 };

export interface DigestSigningKey {
  privateKey: KeyObject;
  keyId: string;
}

const START: DigestCursor = { transactionId: '0', globalPosition: '0' };

/** `keyId`: SHA-256 (hex, first 16 bytes) of the public key's DER: names the key without revealing anything. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

/** An Ed25519 private key in PEM (PKCS#8), e.g. from `openssl genpkey -algorithm ed25519`. */
export function loadSigningKey(pem: string): DigestSigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the digest signing key must be Ed25519, not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  return { privateKey, keyId: keyIdOf(createPublicKey(privateKey)) };
}

/** The public key from a PEM that holds either the public or the private key. */
export function loadVerifyKey(pem: string): KeyObject {
  const key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the digest key must be Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

function signedBytes(digest: Omit<SignedDigest, 'signature'>): Buffer {
  return Buffer.from(canonicalJson({ ...digest }), 'utf8');
}

interface RangeRow {
  stream_id: string;
  hash: string;
  transaction_id: string;
  global_position: string;
  age_seconds: number;
}

/** What a range of events (in gap-safe order) amounts to. */
export function tally(rows: { streamId: string; hash: string; globalPosition: string }[]): { eventCount: number; eventsSha256: string; streams: StreamTallies } {
  const streams: StreamTallies = {};
  const digest = createHash('sha256');
  for (const row of rows) {
    digest.update(`${row.hash}\n`);
    const before = streams[row.streamId];
    streams[row.streamId] = { count: (before?.count ?? 0) + 1, lastHash: row.hash, positions: [...(before?.positions ?? []), row.globalPosition] };
  }
  return { eventCount: rows.length, eventsSha256: digest.digest('hex'), streams };
}

async function rangeRows(db: SubscriptionTransaction, from: DigestCursor, to: DigestCursor | undefined): Promise<RangeRow[]> {
  return db.query<RangeRow>(
    // Pruned events count with the place and hash es_prune_events kept for them (checked against the signed
    // prune checkpoint): a digest over a pruned range still holds, and still catches anything else missing.
    `SELECT stream_id, hash, transaction_id::text AS transaction_id, global_position::text AS global_position, age_seconds
     FROM (
       SELECT stream_id, hash, transaction_id, global_position, extract(epoch FROM now() - recorded_at)::float8 AS age_seconds FROM es_events
       UNION ALL
       SELECT stream_id, hash, transaction_id, global_position, extract(epoch FROM now() - recorded_at)::float8 FROM es_pruned_events
     ) AS range_events
     WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
       AND ($3::xid8 IS NULL OR (transaction_id, global_position) <= ($3::xid8, $4::bigint))
     ORDER BY range_events.transaction_id, range_events.global_position`,
    [from.transactionId, from.globalPosition, to?.transactionId ?? null, to?.globalPosition ?? null],
  );
}

interface DigestRow {
  seq: string;
  from_transaction_id: string;
  from_global_position: string;
  to_transaction_id: string;
  to_global_position: string;
  event_count: number;
  events_sha256: string;
  streams: StreamTallies;
  prev_signature: string | null;
  key_id: string;
  signature: string;
  age_seconds: number;
}

const DIGEST_COLUMNS = `seq::text AS seq, from_transaction_id::text AS from_transaction_id, from_global_position::text AS from_global_position,
  to_transaction_id::text AS to_transaction_id, to_global_position::text AS to_global_position, event_count, events_sha256, streams,
  prev_signature, key_id, signature, extract(epoch FROM now() - created_at)::float8 AS age_seconds`;

function toDigest(row: DigestRow): SignedDigest {
  return {
    seq: Number(row.seq),
    from: { transactionId: row.from_transaction_id, globalPosition: row.from_global_position },
    to: { transactionId: row.to_transaction_id, globalPosition: row.to_global_position },
    eventCount: row.event_count,
    eventsSha256: row.events_sha256,
    streams: row.streams,
    prevSignature: row.prev_signature,
    keyId: row.key_id,
    signature: row.signature,
  };
}

/**
 * Writes the next digest, covering every event after the last digest up to `upTo`, when the policy says it is
 * due. Runs in the subscription's transaction, so a digest and the checkpoint commit together: no range is
 * covered twice or skipped. Returns the digest written, if any.
 */
export async function writeDigestIfDue(
  db: SubscriptionTransaction,
  key: DigestSigningKey,
  policy: DigestPolicy,
  upTo: DigestCursor,
): Promise<SignedDigest | undefined> {
  const last = (await db.query<DigestRow>(`SELECT ${DIGEST_COLUMNS} FROM es_digests ORDER BY seq DESC LIMIT 1`))[0];
  const from = last ? { transactionId: last.to_transaction_id, globalPosition: last.to_global_position } : START;
  const rows = await rangeRows(db, from, upTo);
  if (rows.length === 0) return undefined;
  // Time runs from the last digest, or before the first one from the oldest event waiting.
  const waited = last ? last.age_seconds : rows[0]!.age_seconds;
  if (rows.length < policy.everyEvents && waited < policy.everySeconds) return undefined;
  const lastRow = rows.at(-1)!;
  const unsigned = {
    seq: last ? Number(last.seq) + 1 : 1,
    from,
    to: { transactionId: lastRow.transaction_id, globalPosition: lastRow.global_position },
    ...tally(rows.map((row) => ({ streamId: row.stream_id, hash: row.hash, globalPosition: row.global_position }))),
    prevSignature: last?.signature ?? null,
    keyId: key.keyId,
  };
  const digest: SignedDigest = { ...unsigned, signature: sign(null, signedBytes(unsigned), key.privateKey).toString('base64') };
  await db.query(
    `INSERT INTO es_digests (seq, from_transaction_id, from_global_position, to_transaction_id, to_global_position, event_count,
                             events_sha256, streams, prev_signature, key_id, signature)
     VALUES ($1, $2::xid8, $3, $4::xid8, $5, $6, $7, $8::jsonb, $9, $10, $11)`,
    [
      digest.seq,
      digest.from.transactionId,
      digest.from.globalPosition,
      digest.to.transactionId,
      digest.to.globalPosition,
      digest.eventCount,
      digest.eventsSha256,
      JSON.stringify(digest.streams),
      digest.prevSignature,
      digest.keyId,
      digest.signature,
    ],
  );
  return digest;
}

export interface DigestFailure {
  seq: number;
  /** `positions a..b` of the range the digest covers. */
  range: string;
  problem: string;
}

export interface DigestReport {
  ok: boolean;
  digestsChecked: number;
  eventsCovered: number;
  /** Events after the last digest: not covered yet (not a failure). */
  eventsPending: number;
  failures: DigestFailure[];
}

/** What changed in a range since it was signed, stream by stream; else whether only the order changed. */
export function compareRange(signed: SignedDigest, now: ReturnType<typeof tally>): string[] {
  const problems: string[] = [];
  for (const [streamId, then] of Object.entries(signed.streams)) {
    const current = now.streams[streamId];
    if (!current) problems.push(`stream ${streamId} deleted: its ${then.count} events of this range are gone`);
    else if (current.count < then.count) problems.push(`stream ${streamId}: ${then.count - current.count} of its ${then.count} events of this range are missing`);
    else if (current.count > then.count) problems.push(`stream ${streamId}: ${current.count - then.count} events appeared in this range after it was signed`);
    else if (current.lastHash !== then.lastHash) problems.push(`stream ${streamId}: its events were changed (the last hash differs; see the hash chain check for the first changed event)`);
    else if (current.positions.join() !== then.positions.join()) {
      problems.push(`stream ${streamId}: its events moved from global positions ${then.positions.join(', ')} to ${current.positions.join(', ')}: the range was reordered`);
    }
  }
  for (const [streamId, current] of Object.entries(now.streams)) {
    if (!signed.streams[streamId]) problems.push(`stream ${streamId}: ${current.count} events appeared in this range after it was signed`);
  }
  if (problems.length === 0 && now.eventsSha256 !== signed.eventsSha256) {
    problems.push('the events were reordered: the same events per stream, in another global order');
  }
  return problems;
}

/** Checks every digest: its signature, its link to the previous one, and the events of its range as they are now. */
export async function verifyDigests(pool: pg.Pool, publicKey: KeyObject): Promise<DigestReport> {
  const db: SubscriptionTransaction = { query: async (sql, params) => (await pool.query(sql, params)).rows };
  const digests = (await db.query<DigestRow>(`SELECT ${DIGEST_COLUMNS} FROM es_digests ORDER BY seq`)).map(toDigest);
  const keyId = keyIdOf(publicKey);
  const failures: DigestFailure[] = [];
  let previous: SignedDigest | undefined;
  let eventsCovered = 0;
  for (const digest of digests) {
    const range = `positions after ${digest.from.globalPosition} (tx ${digest.from.transactionId}) to ${digest.to.globalPosition} (tx ${digest.to.transactionId})`;
    const fail = (problem: string) => failures.push({ seq: digest.seq, range, problem });
    const { signature, ...unsigned } = digest;
    if (digest.keyId !== keyId) fail(`signed with key ${digest.keyId}, not the given key ${keyId}`);
    else if (!verify(null, signedBytes(unsigned), publicKey, Buffer.from(signature, 'base64'))) fail('the signature does not verify: the digest was altered');
    const expectedSeq = previous ? previous.seq + 1 : 1;
    if (digest.seq !== expectedSeq) fail(`digest ${expectedSeq} is missing before it`);
    else if (previous && (digest.prevSignature !== previous.signature || digest.from.globalPosition !== previous.to.globalPosition || digest.from.transactionId !== previous.to.transactionId)) {
      fail(`it does not follow digest ${previous.seq}`);
    } else if (!previous && (digest.prevSignature !== null || digest.from.globalPosition !== START.globalPosition)) {
      fail('the first digest does not start at the beginning of the store');
    }
    const rows = await rangeRows(db, digest.from, digest.to);
    for (const problem of compareRange(digest, tally(rows.map((row) => ({ streamId: row.stream_id, hash: row.hash, globalPosition: row.global_position }))))) fail(problem);
    eventsCovered += digest.eventCount;
    previous = digest;
  }
  const pending = (await rangeRows(db, previous?.to ?? START, undefined)).length;
  return { ok: failures.length === 0, digestsChecked: digests.length, eventsCovered, eventsPending: pending, failures };
}
