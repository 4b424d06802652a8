import { type GrammyError } from 'grammy';

/**
 * A refusal from the Bot API (grammY's `GrammyError`), told by its shape rather than `instanceof`, so that the
 * gateway loads grammY only when Telegram is configured (`telegramBots`).
 */
export function isGrammyError(error: unknown): error is GrammyError {
  if (!(error instanceof Error) || error.name !== 'GrammyError') return false;
  const { error_code: code, parameters } = error as Partial<GrammyError>;
  return typeof code === 'number' && typeof parameters === 'object' && parameters !== null;
}
