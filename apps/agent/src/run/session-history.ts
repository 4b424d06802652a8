import { EVENT_TYPES, StreamIds, type RecordedEvent } from '#contracts';
import { type EventStore } from '#event-store';

/** The part of a session event the agent needs: the history fold and the earlier-message check. */
export interface SessionEntry {
  type: string;
  streamVersion: number;
  data: unknown;
}

export interface SessionHistoryLimits {
  /** Sessions kept in memory (least recently used dropped first). */
  maxSessions: number;
  /** Characters of cached event data across all sessions (least recently used dropped first). */
  maxChars: number;
  /** A session not used for this long is read from the store again. */
  idleMs: number;
}

export const SESSION_HISTORY_DEFAULTS: SessionHistoryLimits = { maxSessions: 2_000, maxChars: 8_000_000, idleMs: 15 * 60_000 };

/** Only these types matter to a run; the rest of the session stream (deliveries, truncations, …) is skipped. */
const KEPT = new Set<string>([EVENT_TYPES.MessageReceived, EVENT_TYPES.MessageAuthorized, EVENT_TYPES.ReplyProduced, EVENT_TYPES.RunFailed]);
/**
 * Model calls are kept only as a marker (which message, which iteration): enough to know a redelivered run has
 * a recorded answer to replay, which is then read in full; their content and tool calls stay in the store.
 */
const MARKED = new Set<string>([EVENT_TYPES.LlmCallCompleted]);

interface Cached {
  /** Stream version read up to (every event up to it was seen, kept or skipped). */
  version: number;
  entries: SessionEntry[];
  chars: number;
  usedAt: number;
}

/**
 * The session streams as the agent last read them, so a run reads only what was appended since the previous
 * run of its session (a handful of events) instead of the whole stream, whose cost grew with every message.
 *
 * Safe because streams are append-only and versions dense: events up to the cached version never change, and
 * the store is still read for everything after it, whoever appended it (authz, the gateway, another agent
 * instance). Bounded by sessions, characters and idle time; a session not cached is read in full, as before.
 * Events removed by `audit prune` stay in a cached session until it is evicted (at most `idleMs` idle, or
 * the process restarting).
 */
export class SessionHistory {
  private readonly sessions = new Map<string, Cached>();
  private totalChars = 0;

  constructor(
    private readonly store: EventStore,
    private readonly limits: SessionHistoryLimits = SESSION_HISTORY_DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The session's relevant events in stream order, up to the store's head as of this call. */
  async read(sessionKey: string): Promise<SessionEntry[]> {
    for (;;) {
      const now = this.now();
      let cached = this.sessions.get(sessionKey);
      if (cached && now - cached.usedAt > this.limits.idleMs) {
        this.forget(sessionKey, cached);
        cached = undefined;
      }
      const fresh = await this.store.readStream(StreamIds.session(sessionKey), { fromVersion: (cached?.version ?? 0) + 1 });
      // Another read of this session finished meanwhile (runs of one session are serialized, so rarely): start
      // again from what it left.
      if (this.sessions.get(sessionKey) !== cached) continue;
      const next: Cached = cached ?? { version: 0, entries: [], chars: 0, usedAt: now };
      if (cached) this.forget(sessionKey, cached);
      appendEntries(next, fresh);
      next.usedAt = now;
      this.sessions.set(sessionKey, next);
      this.totalChars += next.chars;
      this.evict(sessionKey);
      return next.entries.slice();
    }
  }

  /** Sessions and characters held now (for tests and diagnostics). */
  get size(): { sessions: number; chars: number } {
    return { sessions: this.sessions.size, chars: this.totalChars };
  }

  private forget(sessionKey: string, cached: Cached): void {
    if (this.sessions.get(sessionKey) === cached) this.sessions.delete(sessionKey);
    this.totalChars -= cached.chars;
  }

  /** Drops least recently used sessions over the limits, never the one just read. */
  private evict(keep: string): void {
    for (const [key, cached] of this.sessions) {
      if (this.sessions.size <= this.limits.maxSessions && this.totalChars <= this.limits.maxChars) return;
      if (key === keep) continue;
      this.forget(key, cached);
    }
    // The session just read is over the character limit on its own: do not keep it.
    if (this.totalChars > this.limits.maxChars) {
      const cached = this.sessions.get(keep);
      if (cached) this.forget(keep, cached);
    }
  }
}

function appendEntries(cached: Cached, events: readonly RecordedEvent[]): void {
  for (const event of events) {
    // Versions are dense, except where `audit prune` removed old events: nothing to check beyond order.
    cached.version = event.streamVersion;
    let data: unknown;
    if (KEPT.has(event.type)) data = event.data;
    else if (MARKED.has(event.type)) {
      const { messageId, iteration } = event.data as { messageId?: unknown; iteration?: unknown };
      data = { messageId, iteration };
    } else continue;
    cached.entries.push({ type: event.type, streamVersion: event.streamVersion, data });
    cached.chars += JSON.stringify(data).length;
  }
}
