import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type EventStore, type Subscription } from '#event-store';
import { PROJECTOR_EVENT_STORE, PROJECTOR_SETTINGS } from './projector.tokens.js';
import { projectSessions, SESSIONS_SUBSCRIPTION } from './sessions/project-sessions.js';

export interface ProjectorSettings {
  /** Events per transaction; default 500. */
  batchSize?: number | undefined;
  /** Wait between polls once caught up; default 200 ms. */
  pollIntervalMs?: number | undefined;
}

/** Keeps the read models: one gap-safe subscription per model, each batch one transaction with its checkpoint. */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectorService.name);
  private sessions: Subscription | undefined;

  constructor(
    @Inject(PROJECTOR_EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTOR_SETTINGS) private readonly settings: ProjectorSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.sessions = this.store.subscribe(SESSIONS_SUBSCRIPTION, projectSessions, {
      ...(this.settings.batchSize ? { batchSize: this.settings.batchSize } : {}),
      ...(this.settings.pollIntervalMs ? { pollIntervalMs: this.settings.pollIntervalMs } : {}),
    });
    this.logger.log(`projector ready: subscription ${SESSIONS_SUBSCRIPTION} keeps rm_sessions`);
  }

  /**
   * Resolves when the subscription ends: `undefined` after a clean stop, the error when a batch failed (it was
   * rolled back with its checkpoint; a restarted projector does it again).
   */
  get closed(): Promise<Error | undefined> {
    if (!this.sessions) throw new Error('the projector has not started');
    return this.sessions.closed;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sessions?.stop();
  }
}
