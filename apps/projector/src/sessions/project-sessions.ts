import { type RecordedEvent } from '#contracts';
import { type SubscriptionTransaction } from '#event-store';
import { applyToSummary, sessionKeyOfStream, type SessionSummary } from './session-summary.js';
import { SessionsRepository } from './sessions.repository.js';

/** The subscription's name, hence its row in `es_checkpoints`; resetting that row rebuilds the read model. */
export const SESSIONS_SUBSCRIPTION = 'projector:sessions';

/**
 * One batch of the subscription: folds the events of session streams into their rows. Everything goes through
 * the batch's transaction, so the rows and the checkpoint commit together: a batch is applied once or not at
 * all, and a restarted projector neither doubles nor loses anything.
 */
export async function projectSessions(events: RecordedEvent[], tx: SubscriptionTransaction): Promise<void> {
  const sessionEvents = events.flatMap((event) => {
    const sessionKey = sessionKeyOfStream(event.streamId);
    return sessionKey ? [{ sessionKey, event }] : [];
  });
  if (sessionEvents.length === 0) return;

  const summaries: Map<string, SessionSummary | undefined> = await SessionsRepository.load(tx, [...new Set(sessionEvents.map((e) => e.sessionKey))]);
  const changed = new Set<string>();
  for (const { sessionKey, event } of sessionEvents) {
    const next = applyToSummary(summaries.get(sessionKey), sessionKey, event);
    if (!next) continue;
    summaries.set(sessionKey, next);
    changed.add(sessionKey);
  }
  await SessionsRepository.save(tx, [...changed].map((key) => summaries.get(key)!));
}
