import { type Api } from 'grammy';
import { type ResolvedConfig } from '#config';

export const TELEGRAM_DEFAULT_POLL_TIMEOUT_SECONDS = 30;

/** One configured bot: `channels.telegram.botToken` is the account `default`, each `accounts.<id>` one more. */
export interface TelegramBot {
  readonly account: string;
  /** Never logged: every message that could carry it goes through `redactSecrets`. */
  readonly token: string;
  readonly api: Api;
  readonly groupActivation: 'mention' | 'always';
  readonly pollTimeoutSeconds: number;
  /** Set: updates arrive by webhook at `<publicUrl>/telegram/<account>/webhook`; unset: long polling. */
  readonly webhook: { readonly url: string; readonly secretToken: string } | undefined;
}

/** Where the gateway receives a bot's updates in webhook mode. */
export function telegramWebhookPath(account: string): string {
  return `/telegram/${account}/webhook`;
}

/**
 * The bots of the configuration, each with a Bot API client on `channels.telegram.apiRoot` when set. grammY is
 * loaded here, only when a bot is configured: a gateway without Telegram does not hold it in memory.
 */
export async function telegramBots(config: ResolvedConfig): Promise<TelegramBot[]> {
  const telegram = config.raw.channels?.telegram;
  if (telegram === undefined || telegram.enabled === false) return [];
  if (telegram.botToken === undefined && Object.keys(telegram.accounts ?? {}).length === 0) return [];
  const { Api } = await import('grammy');
  const apiRoot = telegram.apiRoot?.replace(/\/+$/, '');
  const bot = (account: string, token: string, groupActivation: 'mention' | 'always' | undefined): TelegramBot => ({
    account,
    token,
    api: new Api(token, apiRoot !== undefined ? { apiRoot } : undefined),
    groupActivation: groupActivation ?? telegram.groupActivation ?? 'mention',
    pollTimeoutSeconds: telegram.pollTimeoutSeconds ?? TELEGRAM_DEFAULT_POLL_TIMEOUT_SECONDS,
    webhook:
      telegram.webhook === undefined
        ? undefined
        : { url: `${telegram.webhook.publicUrl.replace(/\/+$/, '')}${telegramWebhookPath(account)}`, secretToken: telegram.webhook.secretToken },
  });
  const bots: TelegramBot[] = [];
  if (telegram.botToken !== undefined) bots.push(bot('default', telegram.botToken, undefined));
  for (const [account, settings] of Object.entries(telegram.accounts ?? {})) bots.push(bot(account, settings.botToken, settings.groupActivation));
  return bots;
}
