import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { type Bus, childTraceparent, type Consumption, type DeliveryContext } from '#bus';
import { inSpan } from '#telemetry';
import { type DeliveryRoute, type OutboundReply, OutboundReplySchema, type ToolActivity, ToolActivitySchema } from '#contracts';
import { type GatewaySettings } from '../gateway-options.js';
import { GATEWAY_BUS, GATEWAY_SETTINGS } from '../gateway.tokens.js';
import { replyFrame, toolCallFrame } from '../websocket/webchat-protocol.js';
import { DELIVERY_RECORDER, type DeliveryRecorder, type DeliveryTrace } from './delivery-recorder.js';
import { ReplyWaiters } from './reply-waiters.js';
import { WebchatConnections } from './webchat-connections.js';

export const REPLY_DURABLE = 'gateway-webchat-replies';

/** Replies in flight at once; a held reply (recipient not connected) occupies one until it is delivered or given up. */
const REPLY_CONCURRENCY = 256;
/** Held replies at most, so that live replies always find a free slot. */
const MAX_HELD_REPLIES = 192;

/** Thrown into held replies when the gateway stops: the reply is nak'ed and comes back after the restart. */
class GatewayStoppingError extends Error {
  constructor() {
    super('the gateway is stopping; the reply will be delivered again after it restarts');
    this.name = 'GatewayStoppingError';
  }
}

interface HeldReply {
  readonly reply: OutboundReply;
  wake(): void;
  abort(error: Error): void;
}

/**
 * Delivers `clawgate.outbound.webchat.*` replies to the person: to the `POST /api/messages` request waiting for
 * it and to every WebChat connection the person has open here. A reply for someone with no open connection is
 * held (its JetStream message stays unacked, so a restart loses nothing) until they sign in, or until
 * `holdUndeliveredMs` passes and it is recorded as `ReplyDeliveryFailed`. Tool-call activity (core NATS) is shown
 * to whoever is connected when it happens and is not kept: the event store has the record.
 */
@Injectable()
export class ReplyDeliveryService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReplyDeliveryService.name);
  private readonly held = new Set<HeldReply>();
  private replies: Consumption | undefined;
  private activity: { stop(): void } | undefined;
  private stopping = false;

  constructor(
    @Inject(GATEWAY_BUS) private readonly bus: Bus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @Inject(DELIVERY_RECORDER) private readonly recorder: DeliveryRecorder,
    @Inject(WebchatConnections) private readonly connections: WebchatConnections,
    @Inject(ReplyWaiters) private readonly waiters: ReplyWaiters,
  ) {
    connections.onSignIn((userId) => {
      for (const held of this.held) if (held.reply.user.id === userId) held.wake();
    });
  }

  get heldReplies(): number {
    return this.held.size;
  }

  async onApplicationBootstrap(): Promise<void> {
    const replies = await this.bus.consume({
      stream: 'outbound',
      durable: REPLY_DURABLE,
      filterSubject: this.bus.subjects.outboundForChannel('webchat'),
      schema: OutboundReplySchema,
      concurrency: REPLY_CONCURRENCY,
      retryDelaysMs: [1_000, 5_000, 15_000],
      handler: (reply, context) =>
        inSpan(
          'webchat.reply.deliver',
          { kind: 'consumer', traceparent: context.traceparent, attributes: { 'clawgate.reply_id': reply.replyId, 'clawgate.message_id': reply.inReplyTo } },
          (scope) => this.deliverReply(reply, context, { traceparent: scope.traceparent }),
        ),
      onInvalid: (invalid) => {
        this.logger.warn(`ignoring an invalid reply on ${invalid.context.subject} (#${invalid.context.streamSeq}): ${invalid.reason}: ${invalid.detail}`);
      },
      onRetriesExhausted: async ({ payload, context, lastError }) => {
        await this.recorder.replyDeliveryFailed(
          payload,
          {
            reason: 'delivery_failed',
            error: lastError instanceof Error ? lastError.message : 'the gateway stopped while delivering it',
            attempts: context.deliveryCount,
            failedAt: new Date().toISOString(),
          },
          { traceparent: childTraceparent(context.traceparent) },
        );
      },
    });
    // Core NATS, every instance: each gateway shows the tool calls to the sockets it holds.
    this.activity = this.bus.listen(this.bus.subjects.activityForChannel('webchat'), ToolActivitySchema, (activity) => {
      void this.deliverToolActivity(activity);
    });
    this.replies = replies;
  }

  /** Runs before the HTTP server and the bus close: held replies go back to JetStream for the next start. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const held of this.held) held.abort(new GatewayStoppingError());
    this.activity?.stop();
    await this.replies?.stop();
  }

  private async deliverReply(reply: OutboundReply, context: DeliveryContext, trace: DeliveryTrace): Promise<void> {
    const routes = await this.attempt(reply);
    if (routes !== undefined) {
      await this.recordDelivered(reply, routes, context, trace);
      return;
    }
    if (this.held.size >= MAX_HELD_REPLIES) {
      const error = `no WebChat connection was open and ${MAX_HELD_REPLIES} replies were already waiting`;
      await this.recordNotConnected(reply, context, trace, error);
      return;
    }
    const delivered = await this.holdUntilDelivered(reply);
    if (delivered === undefined) {
      const seconds = Math.round(this.settings.holdUndeliveredMs / 1_000);
      await this.recordNotConnected(reply, context, trace, `the user did not sign in to WebChat within ${seconds} s`);
      return;
    }
    await this.recordDelivered(reply, delivered, context, trace);
  }

  /** The routes that took the reply, or undefined if none did. */
  private async attempt(reply: OutboundReply): Promise<{ routes: DeliveryRoute[]; connections: number } | undefined> {
    const routes: DeliveryRoute[] = [];
    if (this.waiters.deliver(reply)) routes.push('http');
    const connections = await this.connections.sendToUser(reply.user.id, replyFrame(reply));
    if (connections > 0) routes.push('websocket');
    return routes.length === 0 ? undefined : { routes, connections };
  }

  private holdUntilDelivered(reply: OutboundReply): Promise<{ routes: DeliveryRoute[]; connections: number } | undefined> {
    if (this.stopping) return Promise.reject(new GatewayStoppingError());
    return new Promise((resolve, reject) => {
      let trying = false;
      const finish = (outcome: { routes: DeliveryRoute[]; connections: number } | undefined) => {
        clearTimeout(timer);
        this.held.delete(held);
        resolve(outcome);
      };
      const timer = setTimeout(() => finish(undefined), this.settings.holdUndeliveredMs);
      const held: HeldReply = {
        reply,
        wake: () => {
          if (trying) return;
          trying = true;
          void this.attempt(reply).then(
            (outcome) => {
              trying = false;
              if (outcome !== undefined && this.held.has(held)) finish(outcome);
            },
            () => {
              trying = false;
            },
          );
        },
        abort: (error) => {
          clearTimeout(timer);
          this.held.delete(held);
          reject(error);
        },
      };
      this.held.add(held);
      // The person may have signed in between the first attempt and now.
      held.wake();
    });
  }

  private async deliverToolActivity(activity: ToolActivity): Promise<void> {
    await this.connections.sendToUser(activity.user.id, toolCallFrame(activity));
  }

  private recordDelivered(
    reply: OutboundReply,
    delivered: { routes: DeliveryRoute[]; connections: number },
    context: DeliveryContext,
    trace: DeliveryTrace,
  ): Promise<void> {
    const delivery = {
      routes: delivered.routes,
      connections: delivered.connections,
      attempts: context.deliveryCount,
      deliveredAt: new Date().toISOString(),
    };
    return this.recorder.replyDelivered(reply, delivery, trace);
  }

  private recordNotConnected(reply: OutboundReply, context: DeliveryContext, trace: DeliveryTrace, error: string): Promise<void> {
    const failure = {
      reason: 'recipient_not_connected' as const,
      error,
      attempts: context.deliveryCount,
      failedAt: new Date().toISOString(),
    };
    return this.recorder.replyDeliveryFailed(reply, failure, trace);
  }
}
