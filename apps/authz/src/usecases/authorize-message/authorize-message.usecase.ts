import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Bus, type DeliveryContext } from '#bus';
import {
  EVENT_TYPES,
  deterministicEventId,
  type InboundMessage,
  type MessageAuthorized,
  type MessageRejected,
  type OutboundReply,
  type RecordedEvent,
  type RunRequest,
} from '#contracts';
import { type ResolvedConfig } from '#config';
import { EventIdConflictError, type EventStore } from '#event-store';
import { inSpan } from '#telemetry';
import { AUTHZ_BUS, AUTHZ_CONFIG, AUTHZ_EVENT_STORE } from '../../authz.tokens.js';
import { decideInboundMessage, rejectionNotice } from './decide-message.js';

/**
 * Records who sent what and whether they may, then hands authorized messages to their agent. Safe to run
 * again for the same message: the events are re-read instead of re-decided, and publishes carry
 * deterministic `Nats-Msg-Id`s, so a redelivery adds no event and starts no second run.
 */
@Injectable()
export class AuthorizeMessageUseCase {
  private readonly logger = new Logger(AuthorizeMessageUseCase.name);

  constructor(
    @Inject(AUTHZ_CONFIG) private readonly config: ResolvedConfig,
    @Inject(AUTHZ_EVENT_STORE) private readonly store: EventStore,
    @Inject(AUTHZ_BUS) private readonly bus: Bus,
  ) {}

  async execute(message: InboundMessage, received: Pick<DeliveryContext, 'traceparent' | 'deliveryCount'>): Promise<void> {
    const attributes = { 'clawgate.channel': message.channel, 'clawgate.account': message.account };
    await inSpan('authz.message', { traceparent: received.traceparent, kind: 'consumer', attributes }, async (scope) => {
      const context = { traceparent: scope.traceparent };
      // A redelivery reads what an earlier attempt recorded; a first delivery decides and appends straight away
      // (one round trip less), and should the message have been recorded after all (a duplicate published after
      // JetStream's deduplication window), the append is refused and the recorded outcome stands.
      const earlier = received.deliveryCount > 1 ? await this.recordedOutcome(message) : undefined;
      const outcome = earlier ?? (await this.decideAndRecord(message, context));
      scope.span.setAttribute('clawgate.decision', outcome.type);
      if (outcome.type === EVENT_TYPES.MessageAuthorized) {
        await this.startRun(message, outcome, context);
      } else {
        await this.notifyRejection(message, outcome, context);
      }
    });
  }

  private async decideAndRecord(message: InboundMessage, context: Pick<DeliveryContext, 'traceparent'>): Promise<RecordedEvent> {
    const decision = decideInboundMessage(this.config, message, { traceparent: context.traceparent });
    try {
      const appended = await this.store.append(decision.streamId, decision.events, { expectedVersion: 'any' });
      const outcome = appended.events[1]!;
      // Rejections are rare and worth an operator's attention; an authorized message is the normal case, logged at
      // debug: a line per message cost authz ~7 % of its CPU under load (docs/benchmarks.md). Both are events anyway.
      if (decision.route.outcome === 'authorized') this.logger.debug(`message ${message.messageId} authorized for agent ${decision.route.agentId}`);
      else this.logger.log(`message ${message.messageId} rejected: ${decision.route.reason}`);
      return outcome;
    } catch (error) {
      // Another delivery of this message recorded its outcome first (possibly under an older config).
      if (error instanceof EventIdConflictError) {
        const recorded = await this.recordedOutcome(message);
        if (recorded) return recorded;
      }
      throw error;
    }
  }

  private async recordedOutcome(message: InboundMessage): Promise<RecordedEvent | undefined> {
    const authorizedId = deterministicEventId(message.messageId, 'authorized');
    const recorded = await this.store.readEvents([authorizedId, deterministicEventId(message.messageId, 'rejected')]);
    return recorded.find((event) => event.eventId === authorizedId.toLowerCase()) ?? recorded[0];
  }

  private async startRun(message: InboundMessage, authorizedEvent: RecordedEvent, context: Pick<DeliveryContext, 'traceparent'>) {
    const authorized = authorizedEvent.data as MessageAuthorized;
    const run: RunRequest = {
      messageId: message.messageId,
      agentId: authorized.agentId,
      sessionKey: authorized.sessionKey,
      sessionVersion: authorizedEvent.streamVersion,
      correlationId: message.messageId,
      causationId: authorizedEvent.eventId,
    };
    await this.bus.publish(this.bus.subjects.run(authorized.agentId), run, {
      msgId: deterministicEventId(message.messageId, 'run'),
      ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    });
  }

  private async notifyRejection(message: InboundMessage, rejectedEvent: RecordedEvent, context: Pick<DeliveryContext, 'traceparent'>) {
    const rejected = rejectedEvent.data as MessageRejected;
    if (!rejected.notified) return;
    const reply: OutboundReply = {
      replyId: deterministicEventId(message.messageId, 'rejection-notice'),
      inReplyTo: message.messageId,
      channel: message.channel,
      account: message.account,
      chat: { id: message.chat.id, type: message.chat.type },
      user: { id: message.user.id },
      text: rejectionNotice(message),
      kind: 'rejection',
      correlationId: message.messageId,
    };
    await this.bus.publish(this.bus.subjects.outbound(message.channel, message.account), reply, {
      msgId: reply.replyId,
      ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    });
  }
}
