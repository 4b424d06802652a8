import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Bus } from '#bus';
import { type ResolvedConfig } from '#config';
import { EventStore } from '#event-store';
import { AUTH_THROTTLE_DEFAULTS, AuthThrottle } from './auth/auth-throttle.js';
import { ClientAuthenticator } from './auth/client-authenticator.js';
import { WebchatUsers } from './auth/webchat-users.js';
import { DELIVERY_RECORDER } from './delivery/delivery-recorder.js';
import { EventStoreDeliveryRecorder } from './delivery/event-store-delivery-recorder.js';
import { ReplyDeliveryService } from './delivery/reply-delivery.service.js';
import { ReplyWaiters } from './delivery/reply-waiters.js';
import { WebchatConnections } from './delivery/webchat-connections.js';
import { type GatewayModuleOptions, gatewaySettings } from './gateway-options.js';
import { telegramBots } from './channels/telegram/telegram-bots.js';
import { TelegramDeliveryService } from './channels/telegram/telegram-delivery.service.js';
import { TelegramPollingService } from './channels/telegram/telegram-polling.service.js';
import { TELEGRAM_BOTS } from './channels/telegram/telegram.tokens.js';
import { TelegramWebhookController } from './channels/telegram/telegram-webhook.controller.js';
import { PublishTelegramMessageUseCase } from './usecases/publish-telegram-message/publish-telegram-message.usecase.js';
import { ReceiveSlackEventUseCase } from './usecases/receive-slack-event/receive-slack-event.usecase.js';
import { slackApp } from './channels/slack/slack-app.js';
import { SlackDeliveryService } from './channels/slack/slack-delivery.service.js';
import { SlackEventsController } from './channels/slack/slack-events.controller.js';
import { SlackSocketModeService } from './channels/slack/slack-socket-mode.service.js';
import { SLACK_APP } from './channels/slack/slack.tokens.js';
import { GATEWAY_BUS, GATEWAY_CONFIG, GATEWAY_EVENT_STORE, GATEWAY_SETTINGS } from './gateway.tokens.js';
import { MessagesController } from './http/messages.controller.js';
import { OperatorController } from './http/operator.controller.js';
import { WebchatPageController } from './http/webchat-page.controller.js';
import { SendWebchatMessageUseCase } from './usecases/send-webchat-message/send-webchat-message.usecase.js';
import { WebchatSocketServer } from './websocket/webchat-socket.server.js';

/**
 * The gateway: the WebChat page, `POST /api/messages`, the WebChat WebSocket, operator status, reply delivery; the
 * Telegram bots (long polling in, Bot API out).
 */
@Module({})
export class GatewayModule implements OnApplicationShutdown {
  constructor(
    @Inject(GATEWAY_BUS) private readonly bus: Bus,
    @Inject(GATEWAY_EVENT_STORE) private readonly store: EventStore | null,
  ) {}

  static forRoot(options: GatewayModuleOptions): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [WebchatPageController, MessagesController, OperatorController, TelegramWebhookController, SlackEventsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: options.config },
        { provide: GATEWAY_SETTINGS, useValue: gatewaySettings(options) },
        {
          provide: GATEWAY_EVENT_STORE,
          useFactory: () =>
            options.deliveryRecorder === undefined
              ? EventStore.connect({ databaseUrl: options.databaseUrl, applicationName: 'clawgate-gateway' })
              : null,
        },
        {
          provide: GATEWAY_BUS,
          // After the event store, so that a start-up failure leaves no connection open behind it.
          useFactory: async (store: EventStore | null) => {
            try {
              const bus = await Bus.connect({
                ...(options.natsUrl ? { url: options.natsUrl } : {}),
                prefix: options.subjectPrefix,
                name: 'clawgate-gateway',
              });
              await bus.ensureStreams().catch(async (error: unknown) => {
                await bus.close();
                throw error;
              });
              return bus;
            } catch (error) {
              await store?.close();
              throw error;
            }
          },
          inject: [GATEWAY_EVENT_STORE],
        },
        {
          provide: DELIVERY_RECORDER,
          useFactory: (store: EventStore | null) => options.deliveryRecorder ?? new EventStoreDeliveryRecorder(requireStore(store)),
          inject: [GATEWAY_EVENT_STORE],
        },
        { provide: WebchatUsers, useFactory: (config: ResolvedConfig) => new WebchatUsers(config), inject: [GATEWAY_CONFIG] },
        { provide: AuthThrottle, useValue: new AuthThrottle({ ...AUTH_THROTTLE_DEFAULTS, ...options.authThrottle }) },
        {
          provide: ClientAuthenticator,
          useFactory: (config: ResolvedConfig, users: WebchatUsers, throttle: AuthThrottle) => new ClientAuthenticator(config, users, throttle),
          inject: [GATEWAY_CONFIG, WebchatUsers, AuthThrottle],
        },
        { provide: WebchatConnections, useValue: new WebchatConnections() },
        { provide: ReplyWaiters, useValue: new ReplyWaiters() },
        SendWebchatMessageUseCase,
        ReplyDeliveryService,
        WebchatSocketServer,
        { provide: TELEGRAM_BOTS, useFactory: (config: ResolvedConfig) => telegramBots(config), inject: [GATEWAY_CONFIG] },
        PublishTelegramMessageUseCase,
        TelegramPollingService,
        TelegramDeliveryService,
        { provide: SLACK_APP, useFactory: (config: ResolvedConfig) => slackApp(config), inject: [GATEWAY_CONFIG] },
        ReceiveSlackEventUseCase,
        SlackSocketModeService,
        SlackDeliveryService,
      ],
    };
  }

  /** Runs after the consumers stopped and the sockets closed (Nest shuts providers down before their module). */
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    await this.store?.close();
  }
}

function requireStore(store: EventStore | null): EventStore {
  if (store === null) throw new Error('the event store is connected whenever no delivery recorder is given');
  return store;
}
