import { EVENT_TYPES, StreamIds, type RecordedEvent } from '#contracts';
import { type EventStore } from '#event-store';
import { FINISHED_TURN, type FinishedTurn, HISTORY_SUMMARY, type HistorySummary } from './fold-history.js';

/** The part of a session event the agent needs: the history fold and the earlier-message check. */
export interface SessionEntry {
  type: string;
  streamVersion: number;
  data: unknown;
}

export interface SessionHistoryLimits {
  /** The history budget of the fold (characters): conversation beyond it from the end is only counted. */
  budgetChars: number;
  /** Sessions kept in memory (least recently used dropped first). */
  maxSessions: number;
  /** Characters of cached event data across all sessions (least recently used dropped first). */
  maxChars: number;
  /** A session not used for this long is read from the store again. */
  idleMs: number;
}

export const SESSION_HISTORY_DEFAULTS: Omit<SessionHistoryLimits, 'budgetChars'> = { maxSessions: 2_000, maxChars: 8_000_000, idleMs: 15 * 60_000 };

/**
 * Only these types matter to a run; the rest of the session stream (deliveries, truncations, …) is skipped. Each
 * maps to the one string of its name, which a kept entry holds instead of the copy every row read brings.
 */
const KEPT = new Map<string, string>([EVENT_TYPES.MessageReceived, EVENT_TYPES.MessageAuthorized, EVENT_TYPES.ReplyProduced, EVENT_TYPES.RunFailed].map((type) => [type, type]));
/**
 * Model calls are kept only as a marker (which message, which iteration): enough to know a redelivered run has
 * a recorded answer to replay, which is then read in full; their content and tool calls stay in the store.
 */
const MARKED = new Map<string, string>([EVENT_TYPES.LlmCallCompleted].map((type) => [type, type]));

/** The events that finish a message: after one of them the message is answered or has failed. */
export function isOutcome(type: string): boolean {
  return type === EVENT_TYPES.ReplyProduced || type === EVENT_TYPES.RunFailed;
}

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
 *
 * What a session holds shrinks as its messages finish: a finished message keeps only its text and its reply's
 * (what the fold replays), and a finished stretch of conversation that lies wholly beyond the budget is
 * replaced by a summary of what it held, which the fold counts as dropped — so `ContextTruncated` reports the
 * same figures as a fold of the whole stream, and a session costs at most about its budget whatever its length.
 * A run that finds its message already finished reads that message's events from the store.
 */
export class SessionHistory {
  private readonly sessions = new Map<string, Cached>();
  private totalChars = 0;

  constructor(
    private readonly store: EventStore,
    private readonly limits: SessionHistoryLimits,
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
      // A new object, not the cached one changed in place: a read that overlapped this one sees the difference.
      const next: Cached = cached ? { ...cached, entries: [...cached.entries] } : { version: 0, entries: [], chars: 0, usedAt: now };
      if (cached) this.forget(sessionKey, cached);
      // Entries shrink only when a message finishes: compact then, not on every read.
      if (appendEntries(next, fresh)) compact(next, this.limits.budgetChars);
      next.usedAt = now;
      this.sessions.set(sessionKey, next);
      this.totalChars += next.chars;
      this.evict(sessionKey, now);
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

  /** Drops sessions idle too long and least recently used sessions over the limits, never the one just read. */
  private evict(keep: string, now: number): void {
    for (const [key, cached] of this.sessions) {
      if (key === keep || now - cached.usedAt <= this.limits.idleMs) break;
      this.forget(key, cached);
    }
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

/** Adds what a run needs of `events`; true if one of them finishes a message. */
function appendEntries(cached: Cached, events: readonly RecordedEvent[]): boolean {
  let finishes = false;
  for (const event of events) {
    // Versions are dense, except where `audit prune` removed old events: nothing to check beyond order.
    cached.version = event.streamVersion;
    let data: unknown;
    let type = KEPT.get(event.type);
    if (type) data = event.data;
    else if ((type = MARKED.get(event.type))) data = pick(event.data, 'messageId', 'iteration');
    else continue;
    const entry: SessionEntry = { type, streamVersion: event.streamVersion, data };
    cached.entries.push(entry);
    cached.chars += entryChars(entry);
    if (isOutcome(event.type)) finishes = true;
  }
  return finishes;
}

/**
 * Shrinks each finished message to one {@link FINISHED_TURN} in the place of its `MessageReceived` (its text and
 * its reply's: what the fold replays), drops the rest of its entries, and summarizes a finished prefix beyond the
 * budget. Works on `cached.entries` in place (`read` hands it a copy).
 *
 * Runs each time a message finishes, so it touches no more than it must: the leading entries that are already
 * compact (a summary, finished turns) are only checked for a late reply, and only the entries from the first
 * event still as read (an unfinished message, or what finished since) are rewritten. No finished turn is encoded
 * again: its characters are counted from its texts (see {@link entryChars}).
 */
function compact(cached: Cached, budgetChars: number): void {
  const entries = cached.entries;
  let firstRaw = 0;
  while (firstRaw < entries.length && (entries[firstRaw]!.type === HISTORY_SUMMARY || entries[firstRaw]!.type === FINISHED_TURN)) firstRaw++;
  // Events as read only ever follow the compact prefix, so every outcome is among them. A message with a reply and
  // a failure (a run given up on while a slow one still answered) has the reply, as the fold of the whole stream
  // and `progress` do.
  const outcomes = new Map<unknown, SessionEntry>();
  for (let index = firstRaw; index < entries.length; index++) {
    const entry = entries[index]!;
    if (isOutcome(entry.type) && outcomes.get(messageIdOf(entry))?.type !== EVENT_TYPES.ReplyProduced) outcomes.set(messageIdOf(entry), entry);
  }
  for (let index = 0; index < firstRaw; index++) {
    if (entries[index]!.type === FINISHED_TURN) entries[index] = withLateReply(entries[index]!, outcomes);
  }
  const rest = entries.splice(firstRaw);
  for (const entry of rest) {
    if (entry.type === HISTORY_SUMMARY) entries.push(entry);
    else if (entry.type === FINISHED_TURN) entries.push(withLateReply(entry, outcomes));
    else {
      const outcome = outcomes.get(messageIdOf(entry));
      // An unfinished message is kept whole: the earlier-message check and the replay of recorded model calls.
      if (!outcome) entries.push(entry);
      else if (entry.type === EVENT_TYPES.MessageReceived) {
        // A failed message keeps its id, for a reply that may still come (see above). Each shape is written whole
        // in one literal: a field added afterwards would give every cached turn a separate property array
        // (~40 bytes per turn, 1 MB of the agent's heap at 26,000 cached turns).
        const turn: FinishedTurn =
          outcome.type === EVENT_TYPES.ReplyProduced ? { text: textOf(entry), reply: textOf(outcome) } : { text: textOf(entry), messageId: messageIdOf(entry) as string };
        entries.push({ type: FINISHED_TURN, streamVersion: entry.streamVersion, data: turn });
      }
    }
  }

  // The latest cut before which every message is finished and after which the finished conversation is longer
  // than the budget: a fold of any later message drops everything before the cut. Only turns before the first
  // unfinished message count: a later message (one that failed while an earlier one still ran) is never in the
  // conversation of that earlier one, and no cut passes an unfinished message.
  let firstUnfinished = entries.findIndex((entry) => entry.type === EVENT_TYPES.MessageReceived);
  if (firstUnfinished < 0) firstUnfinished = entries.length;
  let suffixChars = 0;
  let cut = 0;
  for (let index = firstUnfinished - 1; index >= 0; index--) {
    if (suffixChars > budgetChars) {
      cut = index + 1;
      break;
    }
    suffixChars += turnChars(entries[index]!);
  }
  if (cut > 1 || (cut === 1 && entries[0]!.type !== HISTORY_SUMMARY)) {
    const summary: HistorySummary = { turns: 0, chars: 0 };
    for (let index = 0; index < cut; index++) {
      const entry = entries[index]!;
      if (entry.type === HISTORY_SUMMARY) {
        summary.turns += (entry.data as HistorySummary).turns;
        summary.chars += (entry.data as HistorySummary).chars;
      } else if (entry.type === FINISHED_TURN) {
        const turn = entry.data as FinishedTurn;
        summary.turns += turn.reply === undefined ? 1 : 2;
        summary.chars += turnChars(entry);
      }
    }
    entries.splice(0, cut, { type: HISTORY_SUMMARY, streamVersion: entries[cut - 1]!.streamVersion, data: summary });
  }
  let chars = 0;
  for (const entry of entries) chars += entryChars(entry);
  cached.chars = chars;
}

/**
 * What an entry counts against `maxChars`, as `appendEntries` counts a new event: the length of its data as JSON.
 * A finished turn's is worked out from its texts instead of encoding them again on every compaction (an escaped
 * character counts once, not as its escape); only the summary and the events of unfinished messages, a few, are
 * encoded.
 */
function entryChars(entry: SessionEntry): number {
  if (entry.type !== FINISHED_TURN) return JSON.stringify(entry.data).length;
  const turn = entry.data as FinishedTurn;
  return turn.text.length + (turn.reply === undefined ? 0 : turn.reply.length + 11) + (turn.messageId === undefined ? 0 : turn.messageId.length + 15) + 11;
}

/** A failed message's turn with the reply that arrived after the failure, if one did. */
function withLateReply(entry: SessionEntry, outcomes: ReadonlyMap<unknown, SessionEntry>): SessionEntry {
  const turn = entry.data as FinishedTurn;
  const late = turn.messageId === undefined ? undefined : outcomes.get(turn.messageId);
  if (late?.type !== EVENT_TYPES.ReplyProduced) return entry;
  return { ...entry, data: { text: turn.text, reply: textOf(late) } satisfies FinishedTurn };
}

/** Characters a finished turn adds to the conversation (its text and its reply's); else 0. */
function turnChars(entry: SessionEntry): number {
  if (entry.type !== FINISHED_TURN) return 0;
  const turn = entry.data as FinishedTurn;
  return turn.text.length + (turn.reply?.length ?? 0);
}

function messageIdOf(entry: SessionEntry): unknown {
  return (entry.data as { messageId?: unknown } | null)?.messageId;
}

function textOf(entry: SessionEntry): string {
  const text = (entry.data as { text?: unknown }).text;
  return typeof text === 'string' ? text : '';
}

function pick(data: unknown, ...keys: string[]): Record<string, unknown> {
  const source = (data ?? {}) as Record<string, unknown>;
  return Object.fromEntries(keys.filter((key) => key in source).map((key) => [key, source[key]]));
}
