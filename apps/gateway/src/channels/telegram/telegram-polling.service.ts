import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { type Bus } from '#bus';
import { type InboundMessage } from '#contracts';
import { inSpan } from '#telemetry';
import { GATEWAY_BUS } from '../../gateway.tokens.js';
import { type TelegramBot } from './telegram-bots.js';
import { TelegramPoller } from './telegram-poller.js';
import { TELEGRAM_BOTS } from './telegram.tokens.js';

/** One long-polling loop per bot, publishing on `clawgate.inbound.telegram`; no inbound port is opened. */
@Injectable()
export class TelegramPollingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TelegramPollingService.name);
  private readonly pollers: TelegramPoller[] = [];

  constructor(
    @Inject(GATEWAY_BUS) private readonly bus: Bus,
    @Inject(TELEGRAM_BOTS) private readonly bots: readonly TelegramBot[],
  ) {}

  onApplicationBootstrap(): void {
    for (const bot of this.bots) {
      const poller = new TelegramPoller({ bot, publish: (message) => this.publish(message), logger: this.logger });
      this.pollers.push(poller);
      poller.start();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.pollers.map((poller) => poller.stop()));
  }

  private async publish(message: InboundMessage): Promise<void> {
    const attributes = { 'clawgate.channel': 'telegram', 'clawgate.account': message.account, 'clawgate.message_id': message.messageId };
    await inSpan('telegram.message.receive', { kind: 'consumer', attributes }, (scope) =>
      this.bus.publish(this.bus.subjects.inbound('telegram'), message, { msgId: message.messageId, traceparent: scope.traceparent }),
    );
  }
}
