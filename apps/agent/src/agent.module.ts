import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Bus } from '#bus';
import { type ResolvedConfig } from '#config';
import { EventStore } from '#event-store';
import { OpenedResources } from '#lifecycle';
import { AgentService } from './agent.service.js';
import { AGENT_BUS, AGENT_CONCURRENCY, AGENT_CONFIG, AGENT_ONLY, AGENT_EVENT_STORE, AGENT_LLM_CLIENTS, AGENT_SETTINGS } from './agent.tokens.js';
import { AGENT_DEFAULTS, type AgentSettings, type LlmClients, RunAgentUseCase } from './run/run-agent.usecase.js';

export interface AgentModuleOptions {
  config: ResolvedConfig;
  databaseUrl?: string | undefined;
  natsUrl?: string | undefined;
  /** Subject and stream prefix; tests use their own. */
  subjectPrefix?: string | undefined;
  settings?: Partial<AgentSettings>;
  /** Serve only this agent's runs (a worker per employee); default: every agent. */
  agentId?: string | undefined;
  /** Runs in flight at once across sessions (one per session at a time). Default 16. */
  concurrency?: number;
  /** Set by the start function: what the module opens, closed again if the start fails. */
  opened?: OpenedResources | undefined;
}

/** The agent service: answers authorized messages with the model, tools going through authz and the sandbox. */
@Module({})
export class AgentModule implements OnApplicationShutdown {
  constructor(
    @Inject(AGENT_EVENT_STORE) private readonly store: EventStore,
    @Inject(AGENT_BUS) private readonly bus: Bus,
  ) {}

  static forRoot(options: AgentModuleOptions): DynamicModule {
    const opened = options.opened ?? new OpenedResources();
    return {
      module: AgentModule,
      providers: [
        { provide: AGENT_CONFIG, useValue: options.config },
        { provide: AGENT_SETTINGS, useValue: { ...AGENT_DEFAULTS, ...options.settings } satisfies AgentSettings },
        { provide: AGENT_CONCURRENCY, useValue: options.concurrency ?? 16 },
        { provide: AGENT_ONLY, useValue: options.agentId ?? null },
        { provide: AGENT_LLM_CLIENTS, useValue: new Map() satisfies LlmClients },
        { provide: AGENT_EVENT_STORE, useFactory: () => opened.add(EventStore.connect({ databaseUrl: options.databaseUrl, applicationName: 'clawgate-agent' })) },
        {
          provide: AGENT_BUS,
          useFactory: () => opened.add(Bus.connect({ ...(options.natsUrl ? { url: options.natsUrl } : {}), prefix: options.subjectPrefix, name: 'clawgate-agent' })),
        },
        RunAgentUseCase,
        AgentService,
      ],
    };
  }

  /** Runs after AgentService has stopped consuming (Nest shuts providers down before their module). */
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    await this.store.close();
  }
}
