import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type Bus, type Consumption, type Service } from '#bus';
import { InboundMessageSchema, ToolAuthorizationRequestSchema } from '#contracts';
import { type EventStore } from '#event-store';
import { conversationKeyFor } from '#policy';
import { AUTHZ_BUS, AUTHZ_EVENT_STORE, AUTHZ_INBOUND_CONCURRENCY } from './authz.tokens.js';
import { failedInboundEvent, invalidInboundEvent } from './inbound-problems.js';
import { AuthorizeMessageUseCase } from './usecases/authorize-message/authorize-message.usecase.js';
import { AuthorizeToolCallUseCase } from './usecases/authorize-tool-call/authorize-tool-call.usecase.js';

export const INBOUND_DURABLE = 'authz-inbound';
export const TOOL_AUTHZ_QUEUE = 'authz';

/** Connects the use cases to the bus: the inbound flow (durable, each conversation in order) and tool-call requests. */
@Injectable()
export class AuthzService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuthzService.name);
  private inbound: Consumption | undefined;
  private toolRequests: Service | undefined;

  constructor(
    @Inject(AUTHZ_BUS) private readonly bus: Bus,
    @Inject(AUTHZ_EVENT_STORE) private readonly store: EventStore,
    @Inject(AUTHZ_INBOUND_CONCURRENCY) private readonly inboundConcurrency: number,
    private readonly authorizeMessage: AuthorizeMessageUseCase,
    private readonly authorizeToolCall: AuthorizeToolCallUseCase,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureStreams();
    this.inbound = await this.bus.consume({
      stream: 'inbound',
      durable: INBOUND_DURABLE,
      filterSubject: this.bus.subjects.stream('inbound').subject,
      schema: InboundMessageSchema,
      // Conversations side by side, each in the order its messages arrived, retries included: the order in
      // which authz records them is the order the agent answers them in.
      concurrency: this.inboundConcurrency,
      orderKey: (message) => conversationKeyFor(message),
      handler: (message, context) => this.authorizeMessage.execute(message, context),
      onInvalid: async (invalid) => {
        this.logger.warn(`invalid message on ${invalid.context.subject} (#${invalid.context.streamSeq}): ${invalid.reason}: ${invalid.detail}`);
        const { streamId, event } = invalidInboundEvent(invalid);
        await this.store.append(streamId, [event], { expectedVersion: 'any' });
      },
      onRetriesExhausted: async (exhausted) => {
        this.logger.error(`message ${exhausted.payload.messageId} failed ${exhausted.context.deliveryCount} times; recording the failure`);
        const { streamId, event } = failedInboundEvent(exhausted);
        await this.store.append(streamId, [event], { expectedVersion: 'any' });
      },
    });
    this.toolRequests = await this.bus.serve(
      this.bus.subjects.authzTool(),
      ToolAuthorizationRequestSchema,
      (request, context) => this.authorizeToolCall.execute(request, context),
      { queue: TOOL_AUTHZ_QUEUE },
    );
    this.logger.log(`authz ready: consuming ${this.inbound.stream}/${INBOUND_DURABLE}, answering ${this.toolRequests.subject}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.toolRequests?.stop();
    await this.inbound?.stop();
  }
}
