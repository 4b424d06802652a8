import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Bus } from '#bus';
import { type ResolvedConfig } from '#config';
import { AUTH_THROTTLE_DEFAULTS, AuthThrottle } from './auth/auth-throttle.js';
import { ClientAuthenticator } from './auth/client-authenticator.js';
import { WebchatUsers } from './auth/webchat-users.js';
import { DELIVERY_RECORDER } from './delivery/delivery-recorder.js';
import { LogDeliveryRecorder } from './delivery/log-delivery-recorder.js';
import { ReplyDeliveryService } from './delivery/reply-delivery.service.js';
import { ReplyWaiters } from './delivery/reply-waiters.js';
import { WebchatConnections } from './delivery/webchat-connections.js';
import { type GatewayModuleOptions, gatewaySettings } from './gateway-options.js';
import { GATEWAY_BUS, GATEWAY_CONFIG, GATEWAY_SETTINGS } from './gateway.tokens.js';
import { MessagesController } from './http/messages.controller.js';
import { OperatorController } from './http/operator.controller.js';
import { WebchatPageController } from './http/webchat-page.controller.js';
import { SendWebchatMessageUseCase } from './usecases/send-webchat-message/send-webchat-message.usecase.js';
import { WebchatSocketServer } from './websocket/webchat-socket.server.js';

/** The gateway: the WebChat page, `POST /api/messages`, the WebChat WebSocket, operator status, reply delivery. */
@Module({})
export class GatewayModule implements OnApplicationShutdown {
  constructor(@Inject(GATEWAY_BUS) private readonly bus: Bus) {}

  static forRoot(options: GatewayModuleOptions): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [WebchatPageController, MessagesController, OperatorController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: options.config },
        { provide: GATEWAY_SETTINGS, useValue: gatewaySettings(options) },
        {
          provide: GATEWAY_BUS,
          useFactory: async () => {
            const bus = await Bus.connect({
              ...(options.natsUrl ? { url: options.natsUrl } : {}),
              prefix: options.subjectPrefix,
              name: 'clawgate-gateway',
            });
            await bus.ensureStreams();
            return bus;
          },
        },
        { provide: DELIVERY_RECORDER, useValue: options.deliveryRecorder ?? new LogDeliveryRecorder() },
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
      ],
    };
  }

  /** Runs after the consumers stopped and the sockets closed (Nest shuts providers down before their module). */
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}
