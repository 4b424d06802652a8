import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { appendAdminAction } from './admin-actions.js';
import { canonicalJson } from './canonical-json.js';
import { keyIdOf, type DigestSigningKey } from './digests.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './event-rows.js';

/** Per stream, what a prune removed: how many events, and the last one's version and hash (the anchor). */
export type PrunedStreams = Record<string, { count: number; lastVersion: number; lastHash: string }>;

/** The signed record a prune leaves: what it removed, the export it wrote first, and a link to the previous one. */
export interface PruneCheckpoint {
  seq: number;
  cutoff: string;
  fromGlobalPosition: string;
  toGlobalPosition: string;
  eventCount: number;
  /** SHA-256 over the pruned events' hashes in gap-safe order, one per line. */
  prunedSha256: string;
  streams: PrunedStreams;
  /** SHA-256 of the export file. */
  exportSha256: string;
  /** The database login that pruned. */
  prunedBy: string;
  prevSignature: string | null;
  keyId: string;
  signature: string;
}

export interface PruneOptions {
  /** Events recorded before this are removed. */
  cutoff: Date;
  /** A new file: the events go there, fsync'd, before any is deleted. */
  exportFile: string;
  key: DigestSigningKey;
  /** For the AdminActionPerformed event: the command as typed and its arguments. */
  command: { what: string; arguments: Record<string, string | number | boolean | null> };
}

export interface PruneResult {
  /** 0 when nothing was older than the cut-off: then nothing is written, not even the export file. */
  eventCount: number;
  streamCount: number;
  checkpoint: PruneCheckpoint | undefined;
  exportSha256: string | undefined;
}

/** The events to prune are not a prefix of some stream (an older event recorded after a newer one). */
export class PruneRefusedError extends Error {}

const PAGE_SIZE = 5000;

function signedBytes(checkpoint: Omit<PruneCheckpoint, 'signature'>): Buffer {
  return Buffer.from(canonicalJson({ ...checkpoint }), 'utf8');
}

/**
 * Exports every event recorded before the cut-off to a new file (fsync'd), then, in one transaction, deletes
 * them through `es_prune_events` — which refuses every login but clawgate_owner's (and superusers') — with the
 * signed checkpoint, and appends AdminActionPerformed. Nothing is deleted unless the export is on disk and the
 * set deleted is exactly the set exported.
 */
export async function pruneEvents(databaseUrl: string, options: PruneOptions): Promise<PruneResult> {
  // 'wx': an existing file is never overwritten, and is refused before the database is touched.
  const file = await open(options.exportFile, 'wx', 0o600);
  let fileOpen = true;
  let keepFile = false;
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'clawgate-audit-prune' });
  await client.connect();
  try {
    await client.query('BEGIN');
    const cutoff = options.cutoff.toISOString();
    const top = (await client.query<{ to: string | null }>('SELECT max(global_position)::text AS to FROM es_events WHERE recorded_at < $1', [cutoff])).rows[0]!.to;
    if (top === null) {
      await client.query('ROLLBACK');
      return { eventCount: 0, streamCount: 0, checkpoint: undefined, exportSha256: undefined };
    }
    const interleaved = await client.query<{ stream_id: string }>(
      `SELECT k.stream_id FROM es_events k
       WHERE NOT (k.recorded_at < $1 AND k.global_position <= $2)
         AND EXISTS (SELECT 1 FROM es_events p WHERE p.stream_id = k.stream_id AND p.recorded_at < $1 AND p.global_position <= $2
                     AND p.stream_version > k.stream_version)
       LIMIT 1`,
      [cutoff, top],
    );
    if (interleaved.rows[0]) {
      throw new PruneRefusedError(`stream ${interleaved.rows[0].stream_id} has an event older than the cut-off after one that is not: nothing pruned`);
    }

    const exportHash = createHash('sha256');
    const prunedHash = createHash('sha256');
    const streams: PrunedStreams = {};
    let eventCount = 0;
    let from: string | undefined;
    let to = '0';
    let after = { transactionId: '0', globalPosition: '0' };
    for (;;) {
      const page = await client.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM es_events
         WHERE recorded_at < $1 AND es_events.global_position <= $2 AND (es_events.transaction_id, es_events.global_position) > ($3::xid8, $4::bigint)
         ORDER BY es_events.transaction_id, es_events.global_position LIMIT $5`,
        [cutoff, top, after.transactionId, after.globalPosition, PAGE_SIZE],
      );
      let chunk = '';
      for (const row of page.rows) {
        const event = toRecordedEvent(row);
        chunk += `${JSON.stringify(event)}\n`;
        prunedHash.update(`${event.hash}\n`);
        const before = streams[event.streamId];
        if (!before || event.streamVersion > before.lastVersion) {
          streams[event.streamId] = { count: (before?.count ?? 0) + 1, lastVersion: event.streamVersion, lastHash: event.hash };
        } else {
          before.count += 1;
        }
        eventCount += 1;
        if (from === undefined || BigInt(event.globalPosition) < BigInt(from)) from = event.globalPosition;
        if (BigInt(event.globalPosition) > BigInt(to)) to = event.globalPosition;
      }
      exportHash.update(chunk);
      await file.write(chunk);
      const last = page.rows.at(-1);
      if (!last || page.rows.length < PAGE_SIZE) break;
      after = { transactionId: last.transaction_id, globalPosition: last.global_position };
    }
    await file.sync();
    await file.close();
    fileOpen = false;
    keepFile = true;
    await syncDirectory(path.dirname(options.exportFile));

    const previous = (await client.query<{ seq: string; signature: string }>('SELECT seq::text AS seq, signature FROM es_prune_checkpoints ORDER BY seq DESC LIMIT 1')).rows[0];
    const prunedBy = (await client.query<{ login: string }>('SELECT session_user::text AS login')).rows[0]!.login;
    const exportSha256 = exportHash.digest('hex');
    const unsigned: Omit<PruneCheckpoint, 'signature'> = {
      seq: previous ? Number(previous.seq) + 1 : 1,
      cutoff,
      fromGlobalPosition: from!,
      toGlobalPosition: to,
      eventCount,
      prunedSha256: prunedHash.digest('hex'),
      streams,
      exportSha256,
      prunedBy,
      prevSignature: previous?.signature ?? null,
      keyId: options.key.keyId,
    };
    const checkpoint: PruneCheckpoint = { ...unsigned, signature: sign(null, signedBytes(unsigned), options.key.privateKey).toString('base64') };
    await client.query('SELECT es_prune_events($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11)', [
      checkpoint.cutoff,
      top,
      checkpoint.eventCount,
      checkpoint.prunedSha256,
      JSON.stringify(checkpoint.streams),
      checkpoint.exportSha256,
      checkpoint.prunedBy,
      checkpoint.seq,
      checkpoint.prevSignature,
      checkpoint.keyId,
      checkpoint.signature,
    ]);
    const streamCount = Object.keys(streams).length;
    await appendAdminAction(client, {
      what: options.command.what,
      command: 'audit prune',
      arguments: {
        ...options.command.arguments,
        cutoff,
        eventsPruned: eventCount,
        streamsAffected: streamCount,
        fromGlobalPosition: checkpoint.fromGlobalPosition,
        toGlobalPosition: checkpoint.toGlobalPosition,
        checkpointSeq: checkpoint.seq,
        exportSha256,
      },
    });
    await client.query('COMMIT');
    return { eventCount, streamCount, checkpoint, exportSha256 };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
    if (fileOpen) await file.close();
    // An export of events that were not pruned stays (it is a true copy); an empty one made by a no-op goes.
    if (!keepFile) {
      await rm(options.exportFile, { force: true });
    }
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Per stream, the last pruned event's version and hash: where the kept events' chain starts. */
export async function pruneAnchors(pool: pg.Pool): Promise<Map<string, { version: number; hash: string }>> {
  const { rows } = await pool.query<{ stream_id: string; stream_version: number; hash: string }>(
    `SELECT DISTINCT ON (stream_id) stream_id, stream_version, hash FROM es_pruned_events ORDER BY stream_id, stream_version DESC`,
  );
  return new Map(rows.map((row) => [row.stream_id, { version: row.stream_version, hash: row.hash }]));
}

export interface CheckpointFailure {
  seq: number;
  problem: string;
}

export interface CheckpointReport {
  ok: boolean;
  checkpointsChecked: number;
  eventsPruned: number;
  failures: CheckpointFailure[];
}

interface CheckpointRow {
  seq: string;
  cutoff: Date;
  from_global_position: string;
  to_global_position: string;
  event_count: number;
  pruned_sha256: string;
  streams: PrunedStreams;
  export_sha256: string;
  pruned_by: string;
  prev_signature: string | null;
  key_id: string;
  signature: string;
}

interface TombstoneRow {
  stream_id: string;
  stream_version: number;
  global_position: string;
  hash: string;
}

/**
 * Checks every prune checkpoint: its signature and key, its link to the previous one, and that the pruned events'
 * places and hashes kept in es_pruned_events are exactly what it signed (count, order, range, per-stream anchors).
 */
export async function verifyPruneCheckpoints(pool: pg.Pool, publicKey: KeyObject): Promise<CheckpointReport> {
  const rows = (
    await pool.query<CheckpointRow>(
      `SELECT seq::text AS seq, cutoff, from_global_position::text AS from_global_position, to_global_position::text AS to_global_position,
              event_count, pruned_sha256, streams, export_sha256, pruned_by, prev_signature, key_id, signature
       FROM es_prune_checkpoints ORDER BY seq`,
    )
  ).rows;
  const keyId = keyIdOf(publicKey);
  const failures: CheckpointFailure[] = [];
  let previous: PruneCheckpoint | undefined;
  let eventsPruned = 0;
  for (const row of rows) {
    const checkpoint: PruneCheckpoint = {
      seq: Number(row.seq),
      cutoff: row.cutoff.toISOString(),
      fromGlobalPosition: row.from_global_position,
      toGlobalPosition: row.to_global_position,
      eventCount: row.event_count,
      prunedSha256: row.pruned_sha256,
      streams: row.streams,
      exportSha256: row.export_sha256,
      prunedBy: row.pruned_by,
      prevSignature: row.prev_signature,
      keyId: row.key_id,
      signature: row.signature,
    };
    const fail = (problem: string) => failures.push({ seq: checkpoint.seq, problem });
    const { signature, ...unsigned } = checkpoint;
    if (checkpoint.keyId !== keyId) fail(`signed with key ${checkpoint.keyId}, not the given key ${keyId}`);
    else if (!verify(null, signedBytes(unsigned), publicKey, Buffer.from(signature, 'base64'))) fail('the signature does not verify: the checkpoint was forged or altered');
    const expectedSeq = previous ? previous.seq + 1 : 1;
    if (checkpoint.seq !== expectedSeq) fail(`checkpoint ${expectedSeq} is missing before it`);
    else if ((previous?.signature ?? null) !== checkpoint.prevSignature) fail(`it does not follow checkpoint ${previous ? previous.seq : 'none'}`);

    const tombstones = (
      await pool.query<TombstoneRow>(
        `SELECT stream_id, stream_version, global_position::text AS global_position, hash FROM es_pruned_events
         WHERE checkpoint_seq = $1 ORDER BY transaction_id, global_position`,
        [row.seq],
      )
    ).rows;
    const sha = createHash('sha256');
    const streams: PrunedStreams = {};
    for (const tombstone of tombstones) {
      sha.update(`${tombstone.hash}\n`);
      const before = streams[tombstone.stream_id];
      if (!before || tombstone.stream_version > before.lastVersion) {
        streams[tombstone.stream_id] = { count: (before?.count ?? 0) + 1, lastVersion: tombstone.stream_version, lastHash: tombstone.hash };
      } else {
        before.count += 1;
      }
    }
    const positions = tombstones.map((tombstone) => BigInt(tombstone.global_position));
    if (tombstones.length !== checkpoint.eventCount) fail(`it signed ${checkpoint.eventCount} pruned events, ${tombstones.length} are recorded`);
    else if (sha.digest('hex') !== checkpoint.prunedSha256) fail('the pruned events recorded are not the ones it signed (hashes or order differ)');
    if (tombstones.length > 0) {
      const min = positions.reduce((a, b) => (b < a ? b : a));
      const max = positions.reduce((a, b) => (b > a ? b : a));
      if (String(min) !== checkpoint.fromGlobalPosition || String(max) !== checkpoint.toGlobalPosition) fail('the pruned global range differs from the one it signed');
    }
    if (canonicalJson(streams) !== canonicalJson(checkpoint.streams)) fail('the per-stream anchors differ from the ones it signed');
    eventsPruned += tombstones.length;
    previous = checkpoint;
  }
  return { ok: failures.length === 0, checkpointsChecked: rows.length, eventsPruned, failures };
}
