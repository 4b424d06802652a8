import { type RecordedEvent } from '#contracts';
import { applyToSummary, type SessionSummary } from '../../../projector/src/sessions/session-summary.js';

/** Where a replay stops: the last event at or before a global position or a time. */
export type ReplayLimit = { kind: 'position'; position: bigint } | { kind: 'time'; time: Date };

export function withinLimit(event: RecordedEvent, limit: ReplayLimit | undefined): boolean {
  if (!limit) return true;
  return limit.kind === 'position' ? BigInt(event.globalPosition) <= limit.position : event.recordedAt.getTime() <= limit.time.getTime();
}

/** Folds a session's events with the projector's own function: the state the read model should hold. */
export function replaySession(sessionKey: string, events: RecordedEvent[]): SessionSummary | undefined {
  return events.reduce<SessionSummary | undefined>((summary, event) => applyToSummary(summary, sessionKey, event), undefined);
}

export interface SummaryDifference {
  field: keyof SessionSummary;
  replayed: string;
  projected: string;
}

export type ProjectionComparison =
  | { status: 'equal'; position: string }
  | { status: 'different'; position: string; differences: SummaryDifference[] }
  /** The read model has no row for the session (the projector has not reached it, or the row was removed). */
  | { status: 'missing' }
  /** The read model has folded fewer events than were replayed: the projector is behind. */
  | { status: 'behind'; projectedPosition: string; replayedPosition: string }
  /** The read model has folded more: the replay stopped earlier (`--until`), so the two are not comparable. */
  | { status: 'ahead'; projectedPosition: string; replayedPosition: string };

const FIELDS: (keyof SessionSummary)[] = [
  'sessionKey',
  'agentId',
  'channel',
  'account',
  'userId',
  'messages',
  'replies',
  'failures',
  'toolCalls',
  'inputTokens',
  'outputTokens',
  'lastActivity',
  'lastPosition',
];

function text(value: SessionSummary[keyof SessionSummary]): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** Whether the stored projection is what the events fold to, field by field, at the same position. */
export function compareWithProjection(replayed: SessionSummary, projected: SessionSummary | undefined): ProjectionComparison {
  if (!projected) return { status: 'missing' };
  const [replayedAt, projectedAt] = [BigInt(replayed.lastPosition), BigInt(projected.lastPosition)];
  if (projectedAt < replayedAt) return { status: 'behind', projectedPosition: projected.lastPosition, replayedPosition: replayed.lastPosition };
  if (projectedAt > replayedAt) return { status: 'ahead', projectedPosition: projected.lastPosition, replayedPosition: replayed.lastPosition };
  const differences = FIELDS.flatMap((field) => {
    const [a, b] = [text(replayed[field]), text(projected[field])];
    return a === b ? [] : [{ field, replayed: a, projected: b }];
  });
  return differences.length === 0 ? { status: 'equal', position: replayed.lastPosition } : { status: 'different', position: replayed.lastPosition, differences };
}

export function describeComparison(comparison: ProjectionComparison): string[] {
  switch (comparison.status) {
    case 'equal':
      return [`projection (rm_sessions): EQUAL to the replay at position ${comparison.position}`];
    case 'different':
      return [
        `projection (rm_sessions): DIFFERENT from the replay at position ${comparison.position}`,
        ...comparison.differences.map((d) => `  ${d.field}: replayed ${d.replayed}, projected ${d.projected}`),
      ];
    case 'missing':
      return ['projection (rm_sessions): no row for this session (the projector has not folded it)'];
    case 'behind':
      return [`projection (rm_sessions): behind, at position ${comparison.projectedPosition}; the replay reached ${comparison.replayedPosition} (is the projector running?)`];
    case 'ahead':
      return [`projection (rm_sessions): not comparable, it is at position ${comparison.projectedPosition}; the replay stopped at ${comparison.replayedPosition}`];
  }
}

export function describeState(summary: SessionSummary): string[] {
  return [
    'state:',
    `  agent ${summary.agentId}, channel ${summary.channel}/${summary.account}, user ${summary.userId}`,
    `  messages ${summary.messages}, replies ${summary.replies}, failures ${summary.failures}, tool calls ${summary.toolCalls}`,
    `  tokens ${summary.inputTokens} in, ${summary.outputTokens} out`,
    `  last activity ${summary.lastActivity.toISOString()}, last position ${summary.lastPosition}`,
  ];
}
