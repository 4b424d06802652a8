import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type Bus, type Consumption, KeyedSerialQueue } from '#bus';
import { RunRequestSchema } from '#contracts';
import { type ResolvedConfig } from '#config';
import { AGENT_BUS, AGENT_CONCURRENCY, AGENT_CONFIG, AGENT_ONLY, AGENT_SETTINGS } from './agent.tokens.js';
import { probeProviders } from './llm/llm-client.js';
import { type AgentSettings, RunAgentUseCase } from './run/run-agent.usecase.js';


export const RUNS_DURABLE = 'agent-runs';

/**
 * Consumes authorized runs. Runs of different sessions go side by side; runs of one session one at a time and
 * in order (the in-process queue here, and across instances the use case's check for an unfinished earlier
 * message, which sends a run back to the bus to be redelivered later).
 */
@Injectable()
export class AgentService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AgentService.name);
  private readonly sessions = new KeyedSerialQueue();
  private runs: Consumption | undefined;

  constructor(
    @Inject(AGENT_BUS) private readonly bus: Bus,
    @Inject(AGENT_CONFIG) private readonly config: ResolvedConfig,
    @Inject(AGENT_SETTINGS) private readonly settings: AgentSettings,
    @Inject(AGENT_CONCURRENCY) private readonly concurrency: number,
    @Inject(AGENT_ONLY) private readonly only: string | null,
    private readonly runAgent: RunAgentUseCase,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureStreams();
    // Scheme A of the article (an isolated worker per employee): consume only that agent's runs.
    const durable = this.only ? `${RUNS_DURABLE}-${this.only}` : RUNS_DURABLE;
    this.runs = await this.bus.consume({
      stream: 'run',
      durable,
      filterSubject: this.only ? this.bus.subjects.run(this.only) : this.bus.subjects.stream('run').subject,
      schema: RunRequestSchema,
      concurrency: this.concurrency,
      // The bus tells JetStream the run is in progress every ackWait/2, so a long run keeps its message while a
      // crashed agent's run is redelivered after ackWait.
      ackWaitMs: this.settings.runAckWaitMs,
      handler: (run, context) => this.sessions.run(run.sessionKey, () => this.runAgent.execute(run, context)),
      onInvalid: (invalid) => {
        this.logger.error(`invalid run request on ${invalid.context.subject} (#${invalid.context.streamSeq}): ${invalid.reason}: ${invalid.detail}`);
      },
      onRetriesExhausted: async (exhausted) => {
        this.logger.error(`run for message ${exhausted.payload.messageId} failed ${exhausted.context.deliveryCount} times`);
        await this.runAgent.giveUp(exhausted.payload, exhausted.lastError, exhausted.context);
      },
    });
    this.logger.log(`agent ready: consuming ${this.runs.stream}/${durable}`);
    void probeProviders(this.config.providers).then((problems) => problems.forEach((problem) => this.logger.warn(problem)));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runs?.stop();
  }
}
