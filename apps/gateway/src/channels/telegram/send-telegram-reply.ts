import { type Api } from 'grammy';
import { abortableSleep } from '../abortable-sleep.js';
import { splitText } from '../split-text.js';
import { isGrammyError } from './grammy-error.js';
import { grammySignal } from './grammy-signal.js';

/** Telegram's limit for one message's text. */
export const TELEGRAM_MESSAGE_LIMIT = 4096;
/** 429 answers honoured for one part before the delivery is handed back to the bus. */
const MAX_RATE_LIMIT_WAITS = 5;

/** The platform refused for good (the person blocked the bot, the chat is gone): retrying cannot help. */
export class TelegramRecipientUnreachableError extends Error {
  readonly code = 'TELEGRAM_RECIPIENT_UNREACHABLE';

  constructor(readonly description: string) {
    super(`Telegram refused the message for good: ${description}`);
    this.name = 'TelegramRecipientUnreachableError';
  }
}

/**
 * Sends a reply, split into parts of at most 4 096 characters, waiting out `429 retry_after` between attempts.
 * Resolves with the message ids of the parts; throws {@link TelegramRecipientUnreachableError} on 403 (blocked,
 * kicked) or a chat that no longer exists, and any other failure as it came.
 */
export async function sendTelegramReply(api: Api, chatId: string, text: string, signal: AbortSignal): Promise<number[]> {
  const ids: number[] = [];
  for (const part of splitText(text, TELEGRAM_MESSAGE_LIMIT)) ids.push(await sendPart(api, chatId, part, signal));
  return ids;
}

async function sendPart(api: Api, chatId: string, text: string, signal: AbortSignal): Promise<number> {
  for (let waits = 0; ; waits += 1) {
    try {
      const sent = await api.sendMessage(chatId, text, undefined, grammySignal(signal));
      return sent.message_id;
    } catch (error) {
      if (!isGrammyError(error)) throw error;
      if (error.error_code === 403 || (error.error_code === 400 && /chat not found|user is deactivated/i.test(error.description))) {
        throw new TelegramRecipientUnreachableError(`${error.error_code}: ${error.description}`);
      }
      const retryAfter = error.parameters.retry_after;
      if (error.error_code !== 429 || retryAfter === undefined || waits >= MAX_RATE_LIMIT_WAITS || signal.aborted) throw error;
      await abortableSleep(retryAfter * 1_000, signal);
    }
  }
}
