import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Bus } from '#bus';
import { type ResolvedConfig } from '#config';
import { EventStore } from '#event-store';
import { OpenedResources } from '#lifecycle';
import { createPolicyEngine } from '#policy';
import { AuthzService } from './authz.service.js';
import { AUTHZ_BUS, AUTHZ_CONFIG, AUTHZ_EVENT_STORE, AUTHZ_INBOUND_CONCURRENCY, AUTHZ_POLICY_ENGINE } from './authz.tokens.js';
import { AuthorizeMessageUseCase } from './usecases/authorize-message/authorize-message.usecase.js';
import { AuthorizeToolCallUseCase } from './usecases/authorize-tool-call/authorize-tool-call.usecase.js';

export interface AuthzModuleOptions {
  config: ResolvedConfig;
  databaseUrl?: string | undefined;
  natsUrl?: string | undefined;
  /** Subject and stream prefix; tests use their own. */
  subjectPrefix?: string | undefined;
  /** Inbound messages handled at once, across conversations (each conversation in order). Default 32. */
  inboundConcurrency?: number;
  /** Set by the start function: what the module opens, closed again if the start fails. */
  opened?: OpenedResources | undefined;
}

/** The authz service: allowlists and routing for every inbound message, permission rules for every tool call. */
@Module({})
export class AuthzModule implements OnApplicationShutdown {
  constructor(
    @Inject(AUTHZ_EVENT_STORE) private readonly store: EventStore,
    @Inject(AUTHZ_BUS) private readonly bus: Bus,
  ) {}

  static forRoot(options: AuthzModuleOptions): DynamicModule {
    const opened = options.opened ?? new OpenedResources();
    return {
      module: AuthzModule,
      providers: [
        { provide: AUTHZ_CONFIG, useValue: options.config },
        { provide: AUTHZ_EVENT_STORE, useFactory: () => opened.add(EventStore.connect({ databaseUrl: options.databaseUrl })) },
        {
          provide: AUTHZ_BUS,
          useFactory: () => opened.add(Bus.connect({ ...(options.natsUrl ? { url: options.natsUrl } : {}), prefix: options.subjectPrefix, name: 'clawgate-authz' })),
        },
        { provide: AUTHZ_POLICY_ENGINE, useFactory: () => createPolicyEngine() },
        { provide: AUTHZ_INBOUND_CONCURRENCY, useValue: options.inboundConcurrency ?? 32 },
        AuthorizeMessageUseCase,
        AuthorizeToolCallUseCase,
        AuthzService,
      ],
    };
  }

  /** Runs after AuthzService has stopped its consumers (Nest shuts providers down before their module). */
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    await this.store.close();
  }
}
