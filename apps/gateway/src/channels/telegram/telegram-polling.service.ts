import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { redactSecrets } from '../redact-secrets.js';
import { PublishTelegramMessageUseCase } from '../../usecases/publish-telegram-message/publish-telegram-message.usecase.js';
import { type TelegramBot } from './telegram-bots.js';
import { TelegramPoller } from './telegram-poller.js';
import { TELEGRAM_BOTS } from './telegram.tokens.js';

/**
 * One long-polling loop per bot (no inbound port is opened); a bot configured for webhooks instead gets its
 * webhook registered with Telegram, and its updates arrive at {@link TelegramWebhookController}.
 */
@Injectable()
export class TelegramPollingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TelegramPollingService.name);
  private readonly pollers: TelegramPoller[] = [];

  constructor(
    @Inject(PublishTelegramMessageUseCase) private readonly publishMessage: PublishTelegramMessageUseCase,
    @Inject(TELEGRAM_BOTS) private readonly bots: readonly TelegramBot[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const bot of this.bots) {
      if (bot.webhook !== undefined) {
        await this.registerWebhook(bot, bot.webhook);
        continue;
      }
      const poller = new TelegramPoller({ bot, publish: (message) => this.publishMessage.execute(message), logger: this.logger });
      this.pollers.push(poller);
      poller.start();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.pollers.map((poller) => poller.stop()));
  }

  /** A failure is logged, not fatal: the rest of the gateway keeps serving, and the operator sees why. */
  private async registerWebhook(bot: TelegramBot, webhook: { url: string; secretToken: string }): Promise<void> {
    try {
      await bot.api.setWebhook(webhook.url, { secret_token: webhook.secretToken, allowed_updates: ['message'] });
      this.logger.log(`telegram account ${bot.account}: receiving updates by webhook at ${webhook.url}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error(`telegram account ${bot.account}: setWebhook failed: ${redactSecrets(reason, [bot.token, webhook.secretToken])}`);
    }
  }
}
