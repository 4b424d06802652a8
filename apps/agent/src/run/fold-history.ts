import { EVENT_TYPES, type MessageReceived, type ReplyProduced } from '#contracts';

/**
 * Not an event: what the agent's session cache puts in place of a finished stretch of conversation that lies
 * wholly outside the budget — the turns and characters it held, which a fold counts as dropped.
 */
export const HISTORY_SUMMARY = 'clawgate.agent.HistorySummary';
export interface HistorySummary {
  turns: number;
  chars: number;
}

/**
 * Not an event: what the agent's session cache keeps of a finished message, in the place of its
 * `MessageReceived` — the text and the reply's (none when the message failed), without metadata.
 */
export const FINISHED_TURN = 'clawgate.agent.FinishedTurn';
export interface FinishedTurn {
  text: string;
  reply?: string;
  /** Only while the message has no reply (it failed): a reply recorded later still joins it. */
  messageId?: string;
}

/** A turn of the conversation as the model sees it. */
export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

export interface FoldedHistory {
  /** Earlier turns that fit the budget, oldest first, then the current message. */
  turns: Turn[];
  current: MessageReceived;
  dropped: { messages: number; chars: number };
}

export class CurrentMessageMissingError extends Error {
  readonly code = 'CURRENT_MESSAGE_MISSING';
  constructor(messageId: string) {
    super(`message ${messageId} is not in its session stream`);
  }
}

/**
 * Folds a session stream into the conversation up to (and including) the message being answered: what each
 * user wrote and what the assistant replied. Older turns are dropped first when the budget (characters,
 * a stable stand-in for tokens) is exceeded; the current message is always kept. Tool chatter of earlier
 * runs is not replayed — its results live in the replies and in the tool-call streams.
 */
export function foldHistory(events: readonly { type: string; data: unknown }[], currentMessageId: string, budgetChars: number): FoldedHistory {
  // A message that arrived while the previous one was being answered sits before that answer in the stream:
  // pair each earlier message with its reply by message id, wherever the reply landed.
  const asked: FinishedTurn[] = [];
  const replies = new Map<string, string>();
  let current: MessageReceived | undefined;
  const summarized: HistorySummary = { turns: 0, chars: 0 };
  for (const event of events) {
    if (event.type === HISTORY_SUMMARY) {
      const summary = event.data as HistorySummary;
      summarized.turns += summary.turns;
      summarized.chars += summary.chars;
    } else if (event.type === FINISHED_TURN) {
      if (!current) asked.push(event.data as FinishedTurn);
    } else if (event.type === EVENT_TYPES.MessageReceived) {
      const received = event.data as MessageReceived;
      if (received.messageId === currentMessageId) current = received;
      else if (!current) asked.push(received);
    } else if (event.type === EVENT_TYPES.ReplyProduced) {
      const reply = event.data as ReplyProduced;
      replies.set(reply.messageId, reply.text);
    }
  }
  // Runs once per model call over the whole conversation in the budget (hundreds of turns): plain loops, no
  // array per turn.
  const earlier: Turn[] = [];
  for (const received of asked) {
    earlier.push({ role: 'user', content: received.text });
    const reply = received.reply ?? (received.messageId === undefined ? undefined : replies.get(received.messageId));
    if (reply !== undefined) earlier.push({ role: 'assistant', content: reply });
  }
  if (!current) throw new CurrentMessageMissingError(currentMessageId);

  let remaining = budgetChars - current.text.length;
  let keepFrom = earlier.length;
  while (keepFrom > 0 && earlier[keepFrom - 1]!.content.length <= remaining) {
    keepFrom -= 1;
    remaining -= earlier[keepFrom]!.content.length;
  }
  // Never start the context with an orphaned assistant reply.
  if (earlier[keepFrom]?.role === 'assistant') keepFrom += 1;
  let droppedChars = summarized.chars;
  for (let index = 0; index < keepFrom; index++) droppedChars += earlier[index]!.content.length;
  earlier.splice(0, keepFrom);
  earlier.push({ role: 'user', content: current.text });
  return { turns: earlier, current, dropped: { messages: summarized.turns + keepFrom, chars: droppedChars } };
}
