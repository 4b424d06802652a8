import { type webApi } from '@slack/bolt';

const NAME_TTL_MS = 10 * 60_000;
const MAX_NAMES = 10_000;

/**
 * Channel id → name (`conversations.info`), cached for 10 minutes, so `allowedChannels` may say `#engineering`.
 * A name that cannot be looked up is undefined: the message then matches only entries that give the id
 * (fail closed for `#names`).
 */
export class SlackChannelNames {
  private readonly names = new Map<string, { name: string | undefined; until: number }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly now: () => number = Date.now,
  ) {}

  async nameOf(channelId: string): Promise<string | undefined> {
    const cached = this.names.get(channelId);
    if (cached !== undefined && cached.until > this.now()) return cached.name;
    let name: string | undefined;
    try {
      const info = await this.client.conversations.info({ channel: channelId });
      name = typeof info.channel?.name === 'string' ? info.channel.name : undefined;
    } catch {
      return undefined;
    }
    if (this.names.size >= MAX_NAMES) this.names.clear();
    this.names.set(channelId, { name, until: this.now() + NAME_TTL_MS });
    return name;
  }
}
