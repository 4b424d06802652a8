import { randomBytes } from 'node:crypto';
import { type INestApplication } from '@nestjs/common';
import { WebSocket } from 'ws';
import { type Bus, childTraceparent, type Consumption } from '#bus';
import { type ResolvedConfig, parseConfigText } from '#config';
import { type InboundMessage, InboundMessageSchema, type OutboundReply, type ToolActivity } from '#contracts';
import { type DeliveredReply, type DeliveryRecorder, type DeliveryTrace, type FailedReply } from '../delivery/delivery-recorder.js';
import { type ServerFrame } from '../websocket/webchat-protocol.js';

export const tokens = {
  operator: `op-${randomBytes(12).toString('hex')}`,
  alice: `alice-${randomBytes(12).toString('hex')}`,
  bob: `bob-${randomBytes(12).toString('hex')}`,
  carol: `carol-${randomBytes(12).toString('hex')}`,
};

export function gatewayTestConfig(): ResolvedConfig {
  const text = JSON.stringify({
    channels: {
      webchat: {
        users: {
          alice: { token: tokens.alice, name: 'Alice' },
          bob: { token: tokens.bob },
          carol: { token: tokens.carol },
        },
        allowedUsers: ['alice', 'bob', 'carol'],
      },
    },
    gateway: { auth: { token: tokens.operator } },
  });
  return parseConfigText(text, 'gateway-test.json5', {});
}

export type RecordedDelivery =
  | { readonly type: 'ReplyDelivered'; readonly reply: OutboundReply; readonly delivery: DeliveredReply; readonly trace: DeliveryTrace }
  | { readonly type: 'ReplyDeliveryFailed'; readonly reply: OutboundReply; readonly failure: FailedReply; readonly trace: DeliveryTrace };

/** Keeps what the gateway records, and lets a test wait for a record. */
export class RecordingDeliveryRecorder implements DeliveryRecorder {
  readonly records: RecordedDelivery[] = [];
  private readonly listeners = new Set<() => void>();

  async replyDelivered(reply: OutboundReply, delivery: DeliveredReply, trace: DeliveryTrace): Promise<void> {
    this.push({ type: 'ReplyDelivered', reply, delivery, trace });
  }

  async replyDeliveryFailed(reply: OutboundReply, failure: FailedReply, trace: DeliveryTrace): Promise<void> {
    this.push({ type: 'ReplyDeliveryFailed', reply, failure, trace });
  }

  forReply(replyId: string): Promise<RecordedDelivery> {
    return until(this.listeners, () => this.records.find((record) => record.reply.replyId === replyId));
  }

  private push(record: RecordedDelivery): void {
    this.records.push(record);
    for (const listener of this.listeners) listener();
  }
}

/**
 * Plays everything downstream of the gateway (authz, agent): consumes the WebChat inbound messages and lets the
 * test decide what to publish back.
 */
export class Downstream {
  readonly received: InboundMessage[] = [];
  /** The `traceparent` each message arrived with, by message id. */
  readonly traceparents = new Map<string, string | undefined>();
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly bus: Bus) {}

  static async start(bus: Bus, respond: (message: InboundMessage, downstream: Downstream) => Promise<void>): Promise<{ downstream: Downstream; consumption: Consumption }> {
    const downstream = new Downstream(bus);
    const consumption = await bus.consume({
      stream: 'inbound',
      durable: 'test-downstream',
      filterSubject: bus.subjects.inbound('webchat'),
      schema: InboundMessageSchema,
      handler: async (message, context) => {
        downstream.traceparents.set(message.messageId, context.traceparent);
        downstream.received.push(message);
        for (const listener of downstream.listeners) listener();
        await respond(message, downstream);
      },
      onInvalid: () => undefined,
      onRetriesExhausted: () => undefined,
    });
    return { downstream, consumption };
  }

  message(predicate: (message: InboundMessage) => boolean): Promise<InboundMessage> {
    return until(this.listeners, () => this.received.find(predicate));
  }

  /** Publishes a reply to the message; a rejection has no session, like the ones authz sends. */
  async reply(message: Pick<InboundMessage, 'messageId' | 'user'>, text: string, kind: OutboundReply['kind'] = 'answer'): Promise<OutboundReply> {
    const reply: OutboundReply = {
      replyId: `reply-${randomBytes(6).toString('hex')}`,
      inReplyTo: message.messageId,
      channel: 'webchat',
      account: 'default',
      chat: { id: message.user.id, type: 'direct' },
      user: { id: message.user.id },
      text,
      kind,
      correlationId: message.messageId,
      ...(kind === 'rejection' ? {} : { sessionKey: `agent:default:webchat:${message.user.id}` }),
    };
    const traceparent = childTraceparent(this.traceparents.get(message.messageId));
    await this.bus.publish(this.bus.subjects.outbound('webchat', 'default'), reply, { msgId: reply.replyId, traceparent });
    return reply;
  }

  /** Live tool-call activity, as the agent reports it (core NATS); resolves once the server has it. */
  async toolActivity(message: InboundMessage, tool: string, input: unknown, stage: ToolActivity['stage'], detail: string): Promise<void> {
    const activity: ToolActivity = {
      inReplyTo: message.messageId,
      user: { id: message.user.id },
      chat: { id: message.chat.id },
      toolCallId: `call-${randomBytes(6).toString('hex')}`,
      tool,
      input,
      stage,
      detail,
    };
    this.bus.notify(this.bus.subjects.activity('webchat', 'default'), activity);
    await this.bus.flush();
  }
}

/** A WebChat client over a real WebSocket, with the frames it received in order. */
export class TestSocket {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as ServerFrame);
      for (const listener of this.listeners) listener();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(baseUrl: string, headers: Record<string, string> = {}): Promise<TestSocket> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, { headers });
    const client = new TestSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** Opens a socket, signs in with an auth frame and waits for `ready`. */
  static async signIn(baseUrl: string, token: string): Promise<TestSocket> {
    const client = await TestSocket.open(baseUrl);
    client.send({ type: 'auth', token });
    await client.next('ready');
    return client;
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** The first frame of this type (and matching the predicate) received so far or from now on. */
  next<T extends ServerFrame['type']>(type: T, predicate: (frame: Extract<ServerFrame, { type: T }>) => boolean = () => true): Promise<Extract<ServerFrame, { type: T }>> {
    return until(this.listeners, () =>
      this.frames.find((frame): frame is Extract<ServerFrame, { type: T }> => frame.type === type && predicate(frame as Extract<ServerFrame, { type: T }>)),
    );
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close(1000, 'done');
    return this.closed;
  }
}

export async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

export function postMessage(baseUrl: string, token: string | undefined, body: string, headers: Record<string, string> = {}): ReturnType<typeof getJson> {
  return getJson(`${baseUrl}/api/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...headers },
    body,
  });
}

/** Polls the operator status until the condition holds (the test's own timeout bounds it). */
export async function statusUntil(baseUrl: string, condition: (status: { webchat: { heldReplies: number; connections: number } }) => boolean): Promise<void> {
  for (;;) {
    const { body } = await getJson(`${baseUrl}/api/status`, { headers: { Authorization: `Bearer ${tokens.operator}` } });
    if (condition(body as { webchat: { heldReplies: number; connections: number } })) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function closeApp(app: INestApplication | undefined): Promise<void> {
  await app?.close();
}

function until<T>(listeners: Set<() => void>, find: () => T | undefined): Promise<T> {
  const found = find();
  if (found !== undefined) return Promise.resolve(found);
  return new Promise((resolve) => {
    const listener = () => {
      const value = find();
      if (value === undefined) return;
      listeners.delete(listener);
      resolve(value);
    };
    listeners.add(listener);
  });
}
