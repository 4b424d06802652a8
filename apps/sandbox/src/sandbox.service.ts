import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type Bus, type Service } from '#bus';
import { SandboxExecRequestSchema } from '#contracts';
import { allAgents, type ResolvedConfig } from '#config';
import { SANDBOX_BUS, SANDBOX_CONFIG } from './sandbox.tokens.js';
import { ExecuteToolCallUseCase } from './usecases/execute-tool-call/execute-tool-call.usecase.js';

export const SANDBOX_QUEUE = 'sandbox';

/**
 * Answers `<prefix>.sandbox.exec.<agentId>` for every configured agent: one subject per agent, so bus
 * permissions can keep an agent's worker away from another agent's sandbox.
 */
@Injectable()
export class SandboxService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SandboxService.name);
  private readonly services: Service[] = [];

  constructor(
    @Inject(SANDBOX_BUS) private readonly bus: Bus,
    @Inject(SANDBOX_CONFIG) private readonly config: ResolvedConfig,
    private readonly executeToolCall: ExecuteToolCallUseCase,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const agent of allAgents(this.config)) {
      const service = await this.bus.serve(
        this.bus.subjects.sandboxExec(agent.id),
        SandboxExecRequestSchema,
        (request, context) => this.executeToolCall.execute(agent.id, request, context),
        { queue: SANDBOX_QUEUE },
      );
      this.services.push(service);
    }
    this.logger.log(`sandbox ready: answering ${this.services.map((service) => service.subject).join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.services.map((service) => service.stop()));
  }
}
