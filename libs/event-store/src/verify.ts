import type pg from 'pg';
import { canonicalJson, eventHashOfEncoded } from './canonical-json.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './event-rows.js';
import { pruneAnchors } from './retention.js';

/** The first event of a stream whose chain does not hold, and why. */
export interface VerifyFailure {
  streamId: string;
  /** The version at which the chain breaks (for a missing event: the version that is missing). */
  streamVersion: number;
  /** The event at that place; null when the event is missing. */
  eventId: string | null;
  globalPosition: string | null;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  streamsChecked: number;
  eventsChecked: number;
  /** Streams whose chain starts at a prune checkpoint's anchor rather than at version 1. */
  streamsAnchored: number;
  /** At most one per stream: everything after the first break is unverifiable anyway. */
  failures: VerifyFailure[];
}

const PAGE_SIZE = 5000;

interface StreamHead {
  stream_id: string;
  version: number;
  last_hash: string | null;
}

/**
 * Walks every stream in version order and recomputes each hash from the event as stored and the hash before
 * it. Also compares each stream's last event with `es_streams`, which catches events removed at the end. A
 * stream that was pruned starts after its anchor, the last pruned event's version and hash as recorded by
 * `es_prune_events` (whose signed checkpoint `verifyPruneCheckpoints` checks).
 */
export async function verifyHashChains(pool: pg.Pool): Promise<VerifyReport> {
  const failures: VerifyFailure[] = [];
  const failed = new Set<string>();
  const heads = new Map<string, StreamHead>();
  for (const head of (await pool.query<StreamHead>('SELECT stream_id, version, last_hash FROM es_streams')).rows) {
    heads.set(head.stream_id, head);
  }
  const anchors = await pruneAnchors(pool);
  let streamsAnchored = 0;

  let eventsChecked = 0;
  let current: { streamId: string; version: number; hash: string | null } | undefined;
  const fail = (failure: VerifyFailure) => {
    failures.push(failure);
    failed.add(failure.streamId);
  };
  const finishStream = () => {
    if (!current || failed.has(current.streamId)) return;
    const head = heads.get(current.streamId);
    if (!head) {
      fail({ streamId: current.streamId, streamVersion: 1, eventId: null, globalPosition: null, reason: 'the stream is missing from es_streams' });
    } else if (head.version !== current.version || head.last_hash !== current.hash) {
      fail({
        streamId: current.streamId,
        streamVersion: current.version + 1,
        eventId: null,
        globalPosition: null,
        reason: `es_streams records version ${head.version} and a different last hash: events after version ${current.version} are missing`,
      });
    }
  };

  let after: { streamId: string; version: number } = { streamId: '', version: 0 };
  for (;;) {
    const page = await pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events WHERE (stream_id, stream_version) > ($1, $2)
       ORDER BY stream_id, stream_version LIMIT $3`,
      [after.streamId, after.version, PAGE_SIZE],
    );
    for (const row of page.rows) {
      const event = toRecordedEvent(row);
      eventsChecked += 1;
      if (current?.streamId !== event.streamId) {
        finishStream();
        const anchor = anchors.get(event.streamId);
        if (anchor) streamsAnchored += 1;
        current = { streamId: event.streamId, version: anchor?.version ?? 0, hash: anchor?.hash ?? null };
      }
      if (!failed.has(event.streamId)) {
        const at = { streamId: event.streamId, streamVersion: event.streamVersion, eventId: event.eventId, globalPosition: event.globalPosition };
        const recomputed = eventHashOfEncoded(event.prevHash, event, canonicalJson(event.data), canonicalJson(event.metadata));
        if (event.streamVersion !== current.version + 1) {
          fail({ ...at, streamVersion: current.version + 1, reason: `version ${current.version + 1} is missing (next is ${event.streamVersion})` });
        } else if (event.prevHash !== current.hash) {
          fail({ ...at, reason: 'prev_hash is not the hash of the previous event' });
        } else if (recomputed !== event.hash) {
          fail({ ...at, reason: 'hash does not match the event as stored' });
        }
      }
      current.version = event.streamVersion;
      current.hash = event.hash;
    }
    const last = page.rows.at(-1);
    if (!last || page.rows.length < PAGE_SIZE) break;
    after = { streamId: last.stream_id, version: last.stream_version };
  }
  finishStream();

  const seen = new Set<string>();
  for (const row of (await pool.query<{ stream_id: string }>('SELECT DISTINCT stream_id FROM es_events')).rows) seen.add(row.stream_id);
  for (const head of heads.values()) {
    const anchor = anchors.get(head.stream_id);
    if (anchor && !seen.has(head.stream_id) && anchor.version === head.version && anchor.hash === head.last_hash) {
      streamsAnchored += 1;
      continue;
    }
    if (head.version > 0 && !seen.has(head.stream_id)) {
      fail({ streamId: head.stream_id, streamVersion: 1, eventId: null, globalPosition: null, reason: `es_streams records version ${head.version} but the stream has no events` });
    }
  }

  return { ok: failures.length === 0, streamsChecked: seen.size, eventsChecked, streamsAnchored, failures };
}
