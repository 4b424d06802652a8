import { type webApi } from '@slack/bolt';
import { type ResolvedConfig } from '#config';

/** One Slack app per installation: the account `default`. */
export const SLACK_ACCOUNT = 'default';

export interface SlackApp {
  readonly account: string;
  readonly mode: 'socket' | 'events';
  /** Web API client with the bot token; it waits out 429 `Retry-After` by itself. */
  readonly client: webApi.WebClient;
  readonly appToken: string | undefined;
  readonly signingSecret: string | undefined;
  readonly apiUrl: string | undefined;
  /** Never logged: error texts pass through `redactSecrets` with these. */
  readonly secrets: readonly string[];
}

export type SlackAppResolution = { readonly app: SlackApp } | { readonly disabled: string } | { readonly notConfigured: undefined };

/**
 * The Slack app of the configuration. The article's block has no tokens (it shows only the allowlists), so a
 * block without the tokens its mode needs loads, and the adapter stays off with a line saying what is missing.
 */
export async function slackApp(config: ResolvedConfig): Promise<SlackAppResolution> {
  const slack = config.raw.channels?.slack;
  if (slack === undefined || slack.enabled === false) return { notConfigured: undefined };
  const mode = slack.mode ?? 'socket';
  const missing = [
    ...(slack.botToken === undefined ? ['botToken'] : []),
    ...(mode === 'socket' && slack.appToken === undefined ? ['appToken'] : []),
    ...(mode === 'events' && slack.signingSecret === undefined ? ['signingSecret'] : []),
  ];
  if (missing.length > 0 || slack.botToken === undefined) {
    return { disabled: `channels.slack needs ${missing.join(' and ')} for mode "${mode}"; the Slack adapter is not started` };
  }
  // Loaded only for a configured app: a gateway without Slack does not hold Bolt in memory.
  const { webApi } = await import('@slack/bolt');
  const apiUrl = slack.apiUrl === undefined ? undefined : slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/`;
  return {
    app: {
      account: SLACK_ACCOUNT,
      mode,
      client: new webApi.WebClient(slack.botToken, {
        ...(apiUrl !== undefined ? { slackApiUrl: apiUrl } : {}),
        retryConfig: { retries: 5, factor: 2, minTimeout: 200, maxTimeout: 5_000 },
        rejectRateLimitedCalls: false,
        // Its own console lines would bypass the service's logger; failures reach us as errors anyway.
        logLevel: webApi.LogLevel.ERROR,
      }),
      appToken: slack.appToken,
      signingSecret: slack.signingSecret,
      apiUrl,
      secrets: [slack.botToken, slack.appToken, slack.signingSecret].filter((secret): secret is string => secret !== undefined),
    },
  };
}
