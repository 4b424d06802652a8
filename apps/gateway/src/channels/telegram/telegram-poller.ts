import { type InboundMessage } from '#contracts';
import { abortableSleep } from '../abortable-sleep.js';
import { redactSecrets } from '../redact-secrets.js';
import { isGrammyError } from './grammy-error.js';
import { grammySignal } from './grammy-signal.js';
import { type TelegramBot } from './telegram-bots.js';
import { inboundFromUpdate, type TelegramBotIdentity, TelegramUpdateSchema } from './telegram-update.js';

export interface PollerLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface TelegramPollerOptions {
  readonly bot: TelegramBot;
  /** Stores the message in JetStream and resolves on the PubAck (`Nats-Msg-Id` = its message id). */
  readonly publish: (message: InboundMessage) => Promise<void>;
  readonly logger: PollerLogger;
  /** Pause after an empty poll, for servers that answer at once instead of holding the long poll. */
  readonly idleDelayMs?: number;
  /** Waits between attempts to publish one update (the last repeats); the update is never given up. */
  readonly publishRetryDelaysMs?: readonly number[];
}

const DEFAULT_IDLE_DELAY_MS = 250;
const DEFAULT_PUBLISH_RETRY_DELAYS_MS = [500, 1_000, 2_000, 5_000];
const FETCH_RETRY_DELAY_MS = 2_000;
const MAX_FETCH_RETRY_DELAY_MS = 60_000;

/**
 * Long polling for one bot, with the delivery guarantee of DESIGN.md §2: updates are fetched, each is published
 * with `Nats-Msg-Id` = `telegram:<account>:<update_id>`, and only then does the next `getUpdates` confirm them
 * (its `offset` is the last published id + 1). A gateway that stops or dies between fetching and publishing has
 * confirmed nothing, so Telegram hands the same updates to the next start; an update published twice that way is
 * stored once by JetStream.
 */
export class TelegramPoller {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private offset: number | undefined;
  /** Failed Bot API calls in a row, for the back-off. */
  private failures = 0;

  constructor(private readonly options: TelegramPollerOptions) {}

  start(): void {
    this.running ??= this.run();
  }

  /** Ends the poll in flight; updates fetched but not yet published stay unconfirmed at Telegram. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private get signal(): AbortSignal {
    return this.stopping.signal;
  }

  private async run(): Promise<void> {
    const identity = await this.identify();
    if (identity === undefined) return;
    this.options.logger.log(`telegram account ${this.options.bot.account}: polling as @${identity.username ?? identity.id}`);
    while (!this.signal.aborted) {
      const updates = await this.fetch();
      if (updates === undefined) continue;
      if (updates.length === 0) {
        await abortableSleep(this.options.idleDelayMs ?? DEFAULT_IDLE_DELAY_MS, this.signal);
        continue;
      }
      for (const update of updates) {
        const published = await this.handle(update, identity);
        if (!published) return;
        this.offset = update.update_id + 1;
      }
    }
  }

  private async identify(): Promise<TelegramBotIdentity | undefined> {
    while (!this.signal.aborted) {
      try {
        const me = await this.options.bot.api.getMe(grammySignal(this.signal));
        this.failures = 0;
        return { id: me.id, username: me.username };
      } catch (error) {
        if (this.signal.aborted) return undefined;
        if (isRefusedToken(error)) {
          this.options.logger.warn(`telegram account ${this.options.bot.account}: Telegram refused the bot token (${describe(error)}); this bot is not polled until the token is fixed and the gateway restarted`);
          return undefined;
        }
        await this.pauseAfter('getMe failed', error);
      }
    }
    return undefined;
  }

  /** The next batch, or undefined after a failure (already waited for) or when stopping. */
  private async fetch(): Promise<readonly { update_id: number }[] | undefined> {
    try {
      const other = { timeout: this.options.bot.pollTimeoutSeconds, allowed_updates: ['message' as const] };
      const updates = await this.options.bot.api.getUpdates(this.offset !== undefined ? { ...other, offset: this.offset } : other, grammySignal(this.signal));
      this.failures = 0;
      return updates;
    } catch (error) {
      if (this.signal.aborted) return undefined;
      await this.pauseAfter('getUpdates failed', error);
      return undefined;
    }
  }

  /** Waits Telegram's `retry_after`, else doubles the pause with each failure in a row (2 s up to 1 min). */
  private async pauseAfter(what: string, error: unknown): Promise<void> {
    this.failures += 1;
    const delay = retryAfterOf(error) ?? Math.min(FETCH_RETRY_DELAY_MS * 2 ** (this.failures - 1), MAX_FETCH_RETRY_DELAY_MS);
    this.warn(`${what}, retrying in ${Math.round(delay / 1_000)} s`, error);
    await abortableSleep(delay, this.signal);
  }

  /** True once the update is stored (or deliberately skipped); false if the poller stopped first. */
  private async handle(raw: { update_id: number }, identity: TelegramBotIdentity): Promise<boolean> {
    const parsed = TelegramUpdateSchema.safeParse(raw);
    if (!parsed.success) {
      // Never the content: only which fields were wrong.
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      this.options.logger.warn(`telegram account ${this.options.bot.account}: skipping update ${raw.update_id}, invalid fields: ${fields}`);
      return true;
    }
    const settings = { account: this.options.bot.account, bot: identity, groupActivation: this.options.bot.groupActivation };
    const inbound = inboundFromUpdate(parsed.data, settings, new Date());
    if ('skip' in inbound) return true;
    const delays = this.options.publishRetryDelaysMs ?? DEFAULT_PUBLISH_RETRY_DELAYS_MS;
    for (let attempt = 0; !this.signal.aborted; attempt += 1) {
      try {
        await this.options.publish(inbound.publish);
        return true;
      } catch (error) {
        this.warn(`publishing ${inbound.publish.messageId} failed (attempt ${attempt + 1}); the update stays unconfirmed`, error);
        await abortableSleep(delays[Math.min(attempt, delays.length - 1)] ?? FETCH_RETRY_DELAY_MS, this.signal);
      }
    }
    return false;
  }

  private warn(what: string, error: unknown): void {
    this.options.logger.warn(`telegram account ${this.options.bot.account}: ${what}: ${redactSecrets(describe(error), [this.options.bot.token])}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Telegram's `retry_after` on 429, in milliseconds. */
function retryAfterOf(error: unknown): number | undefined {
  if (isGrammyError(error) && error.error_code === 429 && error.parameters.retry_after !== undefined) return error.parameters.retry_after * 1_000;
  return undefined;
}

/** 401 (revoked or wrong token) and 404 (not a token at all): asking again cannot help. */
function isRefusedToken(error: unknown): boolean {
  return isGrammyError(error) && (error.error_code === 401 || error.error_code === 404);
}
