import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { EventStore } from '#event-store';
import { OpenedResources } from '#lifecycle';
import { ProjectorService, type ProjectorSettings } from './projector.service.js';
import { PROJECTOR_EVENT_STORE, PROJECTOR_SETTINGS } from './projector.tokens.js';

export interface ProjectorModuleOptions extends ProjectorSettings {
  /** Default: `DATABASE_URL`, else the local default. */
  databaseUrl?: string | undefined;
  /** A role every connection switches to, e.g. `clawgate_app`; default the login role. */
  role?: string | undefined;
  /** Set by the start function: what the module opens, closed again if the start fails. */
  opened?: OpenedResources | undefined;
}

/** The projector: tails the event store gap-safely and keeps the read models (`rm_sessions`). */
@Module({})
export class ProjectorModule implements OnApplicationShutdown {
  constructor(@Inject(PROJECTOR_EVENT_STORE) private readonly store: EventStore) {}

  static forRoot(options: ProjectorModuleOptions = {}): DynamicModule {
    const opened = options.opened ?? new OpenedResources();
    return {
      module: ProjectorModule,
      providers: [
        {
          provide: PROJECTOR_EVENT_STORE,
          // One connection per subscription at a time is all the projector uses.
          useFactory: () =>
            opened.add(EventStore.connect({ databaseUrl: options.databaseUrl, applicationName: 'clawgate-projector', poolSize: 2, ...(options.role ? { role: options.role } : {}) })),
        },
        {
          provide: PROJECTOR_SETTINGS,
          useValue: { batchSize: options.batchSize, pollIntervalMs: options.pollIntervalMs, auditFile: options.auditFile, digests: options.digests } satisfies ProjectorSettings,
        },
        ProjectorService,
      ],
    };
  }

  /** Runs after ProjectorService has stopped its subscription (Nest shuts providers down before their module). */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
