import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Bus } from '#bus';
import { type ResolvedConfig } from '#config';
import { EventStore } from '#event-store';
import { OpenedResources } from '#lifecycle';
import { createPolicyEngine } from '#policy';
import { SandboxRuntime } from './sandbox-runtime.js';
import { SandboxService } from './sandbox.service.js';
import { SANDBOX_BUS, SANDBOX_CONFIG, SANDBOX_EVENT_STORE, SANDBOX_POLICY_ENGINE, SANDBOX_RUNTIME } from './sandbox.tokens.js';
import { ExecuteToolCallUseCase } from './usecases/execute-tool-call/execute-tool-call.usecase.js';

export interface SandboxModuleOptions {
  config: ResolvedConfig;
  databaseUrl?: string | undefined;
  natsUrl?: string | undefined;
  /** Subject and stream prefix; tests use their own. */
  subjectPrefix?: string | undefined;
  /** Owner label of the containers; leftovers with it are swept at start-up. Default `clawgate`. */
  containerOwner?: string | undefined;
  maxConcurrentCalls?: number | undefined;
  /** Set by the start function: what the module opens, closed again if the start fails. */
  opened?: OpenedResources | undefined;
}

/** The sandbox service: authorized tool calls run in locked-down containers, each result recorded once. */
@Module({})
export class SandboxModule implements OnApplicationShutdown {
  constructor(
    @Inject(SANDBOX_EVENT_STORE) private readonly store: EventStore,
    @Inject(SANDBOX_BUS) private readonly bus: Bus,
    @Inject(SANDBOX_RUNTIME) private readonly runtime: SandboxRuntime,
  ) {}

  static forRoot(options: SandboxModuleOptions): DynamicModule {
    const opened = options.opened ?? new OpenedResources();
    return {
      module: SandboxModule,
      providers: [
        { provide: SANDBOX_CONFIG, useValue: options.config },
        { provide: SANDBOX_EVENT_STORE, useFactory: () => opened.add(EventStore.connect({ databaseUrl: options.databaseUrl })) },
        {
          provide: SANDBOX_BUS,
          useFactory: () => opened.add(Bus.connect({ ...(options.natsUrl ? { url: options.natsUrl } : {}), prefix: options.subjectPrefix, name: 'clawgate-sandbox' })),
        },
        { provide: SANDBOX_POLICY_ENGINE, useFactory: () => createPolicyEngine() },
        {
          provide: SANDBOX_RUNTIME,
          useFactory: async () => {
            const runtime = new SandboxRuntime({
              owner: options.containerOwner ?? 'clawgate',
              ...(options.maxConcurrentCalls ? { maxConcurrentCalls: options.maxConcurrentCalls } : {}),
            });
            await runtime.start();
            opened.track({ close: () => runtime.stop() });
            return runtime;
          },
        },
        ExecuteToolCallUseCase,
        SandboxService,
      ],
    };
  }

  /** Runs after SandboxService has stopped answering (Nest shuts providers down before their module). */
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    await this.runtime.stop();
    await this.store.close();
  }
}
