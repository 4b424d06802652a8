import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type INestApplicationContext } from '@nestjs/common';
import { Bus, BusRemoteError, type Consumption } from '#bus';
import {
  OutboundReplySchema,
  RunRequestSchema,
  StreamIds,
  ToolAuthorizationReplySchema,
  type InboundMessage,
  type OutboundReply,
  type RunRequest,
} from '#contracts';
import { parseConfigText } from '#config';
import { EventStore } from '#event-store';
import { createTestDatabase, deleteBusStreams, eventually, uniqueBusPrefix } from '#testing';
import { traceIdOf } from '#telemetry';
import { startAuthz } from './start-authz.js';

const config = parseConfigText(
  `{
    channels: {
      telegram: { botToken: "t", allowedUsers: [123456789, 987654321] },
      webchat: { users: { ann: { token: "ann-token" }, eve: { token: "eve-token" } }, allowedUsers: ["ann"] },
    },
    agents: {
      default: { permissions: { allow: ["Read", "Bash(git *)", "Bash(npm test)"], deny: ["Bash(rm *)", "Bash(sudo *)", "Write(/etc/*)"] } },
      admins: { allowedUsers: [123456789], permissions: { allow: ["Read", "Write", "Bash(*)"] } },
    },
  }`,
  'authz-test',
  {},
);

function telegramMessage(user: string, text: string, messageId = `telegram:default:${randomUUID()}`): InboundMessage {
  return {
    messageId,
    channel: 'telegram',
    account: 'default',
    chat: { id: user, type: 'direct' },
    user: { id: user },
    text,
    receivedAt: '2026-03-21T10:00:00.000Z',
    platform: { update_id: 1 },
  };
}


describe('authz service over NATS JetStream and PostgreSQL', () => {
  const prefix = uniqueBusPrefix('authz');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: INestApplicationContext;
  let bus: Bus;
  let store: EventStore;
  let runs: Consumption;
  let replies: Consumption;
  const runRequests: RunRequest[] = [];
  const outbound: OutboundReply[] = [];

  before(async () => {
    database = await createTestDatabase();
    app = await startAuthz({ config, databaseUrl: database.url, subjectPrefix: prefix, logger: false });
    bus = await Bus.connect({ prefix });
    store = await EventStore.connect({ databaseUrl: database.url });
    const collect = <T>(list: T[]) => async (payload: T) => void list.push(payload);
    const fail = () => assert.fail('unexpected invalid or exhausted message');
    runs = await bus.consume({ stream: 'run', durable: 'test-runs', filterSubject: bus.subjects.stream('run').subject, schema: RunRequestSchema, handler: collect(runRequests), onInvalid: fail, onRetriesExhausted: fail });
    replies = await bus.consume({ stream: 'outbound', durable: 'test-outbound', filterSubject: bus.subjects.stream('outbound').subject, schema: OutboundReplySchema, handler: collect(outbound), onInvalid: fail, onRetriesExhausted: fail });
  });

  after(async () => {
    await runs?.stop();
    await replies?.stop();
    await app?.close();
    await bus?.close();
    await store?.close();
    await deleteBusStreams(prefix);
    await database?.drop();
  });

  const publishInbound = (message: InboundMessage, msgId: string = randomUUID()) =>
    bus.publish(bus.subjects.inbound(message.channel), message, { msgId, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
  const runFor = (messageId: string) => eventually(`the run of ${messageId}`, () => runRequests.find((r) => r.messageId === messageId));

  it('records an allowed message and starts one run for its agent', async () => {
    const message = telegramMessage('987654321', 'show me the last commits');
    await publishInbound(message);
    const run = await runFor(message.messageId);
    assert.equal(run.agentId, 'default');
    assert.equal(run.sessionKey, 'agent:default:telegram:987654321');

    const events = await store.readStream(StreamIds.session(run.sessionKey));
    const mine = events.filter((e) => (e.data as { messageId?: string }).messageId === message.messageId);
    assert.deepEqual(mine.map((e) => e.type), ['MessageReceived', 'MessageAuthorized']);
    assert.equal(run.sessionVersion, mine[1]!.streamVersion);
    assert.equal(run.causationId, mine[1]!.eventId);
    for (const event of mine) {
      assert.equal(event.metadata.correlationId, message.messageId);
      assert.deepEqual(event.metadata.actor, { kind: 'user', id: '987654321', channel: 'telegram' });
      assert.equal(event.metadata.service, 'authz');
      assert.equal(traceIdOf(event.metadata.traceparent), '4bf92f3577b34da6a3ce929d0e0e4736', 'the trace goes on in the event');
    }
    assert.equal(mine[1]!.metadata.causationId, mine[0]!.eventId);
    assert.equal((mine[0]!.data as { text: string }).text, 'show me the last commits');
  });

  it('routes the admin to the admins agent', async () => {
    const message = telegramMessage('123456789', 'reboot please');
    await publishInbound(message);
    assert.equal((await runFor(message.messageId)).agentId, 'admins');
  });

  it('rejects a sender outside the allowlist: recorded, no run, not told', async () => {
    const stranger = telegramMessage('555', 'let me in');
    const sentinel = telegramMessage('987654321', 'after the stranger');
    await publishInbound(stranger);
    await publishInbound(sentinel);
    await runFor(sentinel.messageId);
    const events = await store.readStream(StreamIds.rejectedMessage(stranger.messageId));
    assert.deepEqual(events.map((e) => e.type), ['MessageReceived', 'MessageRejected']);
    assert.deepEqual(events[1]!.data, { messageId: stranger.messageId, reason: 'user_not_allowed', detail: 'user 555 is not in the telegram allowlist', notified: false });
    assert.equal(runRequests.some((r) => r.messageId === stranger.messageId), false);
    assert.equal(outbound.some((r) => r.inReplyTo === stranger.messageId), false);
  });

  it('tells a rejected WebChat user, whose channel says to', async () => {
    const message: InboundMessage = { ...telegramMessage('eve', 'hello'), channel: 'webchat', messageId: `webchat:${randomUUID()}` };
    await publishInbound(message);
    const reply = await eventually('the rejection notice', () => outbound.find((r) => r.inReplyTo === message.messageId));
    assert.equal(reply.kind, 'rejection');
    assert.match(reply.text, /not allowed/);
  });

  it('turns a redelivered message into no new event and no second run', async () => {
    const message = telegramMessage('987654321', 'once only');
    await publishInbound(message, 'delivery-1-' + message.messageId);
    await runFor(message.messageId);
    await publishInbound(message, 'delivery-2-' + message.messageId);
    const sentinel = telegramMessage('987654321', 'sentinel');
    await publishInbound(sentinel);
    await runFor(sentinel.messageId);
    const events = await store.readStream(StreamIds.session('agent:default:telegram:987654321'));
    assert.equal(events.filter((e) => (e.data as { messageId?: string }).messageId === message.messageId).length, 2);
    assert.equal(runRequests.filter((r) => r.messageId === message.messageId).length, 1);
  });

  it('records a malformed bus message instead of dropping it or retrying forever', async () => {
    const ack = await bus.publish(bus.subjects.inbound('telegram'), { channel: 'telegram', text: 'no ids' }, { msgId: randomUUID() });
    const events = await eventually('the invalid-message record', async () => {
      const found = await store.readStream(StreamIds.invalidInbound(bus.subjects.inbound('telegram')));
      return found.find((e) => (e.data as { streamSeq: number }).streamSeq === ack.seq);
    });
    assert.equal(events.type, 'InboundMessageInvalid');
    assert.equal((events.data as { reason: string }).reason, 'SCHEMA_MISMATCH');
  });

  describe('tool-call authorization', () => {
    const ask = (toolCallId: string, agentId: string, tool: string, input: unknown) =>
      bus.request(
        bus.subjects.authzTool(),
        { toolCallId, sessionKey: `agent:${agentId}:telegram:1`, agentId, tool, input, correlationId: 'corr-1' },
        { responseSchema: ToolAuthorizationReplySchema, timeoutMs: 5_000 },
      );

    it('allows what the agent\'s rules allow and records it on the tool call\'s stream', async () => {
      const id = randomUUID();
      const reply = await ask(id, 'default', 'Bash', { command: 'git log --oneline -10' });
      assert.deepEqual({ ...reply, reason: undefined }, { toolCallId: id, decision: 'allow', rule: 'Bash(git *)', reason: undefined, recorded: false });
      const events = await store.readStream(StreamIds.toolCall(id));
      assert.deepEqual(events.map((e) => e.type), ['ToolCallAuthorized']);
    });

    it('denies by the inherited deny rule, even for admins', async () => {
      const reply = await ask(randomUUID(), 'admins', 'Bash', { command: 'sudo reboot' });
      assert.equal(reply.decision, 'deny');
      assert.equal(reply.rule, 'Bash(sudo *)');
    });

    it('answers a repeated tool-call id from the store without deciding again', async () => {
      const id = randomUUID();
      const first = await ask(id, 'default', 'Bash', { command: 'npm test; rm -rf /' });
      const second = await ask(id, 'default', 'Bash', { command: 'npm test; rm -rf /' });
      assert.equal(first.decision, 'deny');
      assert.equal(first.recorded, false);
      assert.deepEqual(second, { ...first, recorded: true });
      assert.equal((await store.readStream(StreamIds.toolCall(id))).length, 1);
    });

    it('refuses a tool-call id reused for another command', async () => {
      const id = randomUUID();
      await ask(id, 'default', 'Bash', { command: 'git status' });
      await assert.rejects(ask(id, 'default', 'Bash', { command: 'git push --force' }), (error) => error instanceof BusRemoteError && error.remoteCode === 'TOOL_CALL_ID_REUSED');
    });

    it('denies, and records, calls for unknown agents and malformed input', async () => {
      const unknown = await ask(randomUUID(), 'mallory', 'Read', { path: '/etc/passwd' });
      assert.equal(unknown.decision, 'deny');
      assert.match(unknown.reason, /agent "mallory" is not configured/);
      const id = randomUUID();
      const malformed = await ask(id, 'default', 'Read', { file: '/etc/passwd' });
      assert.equal(malformed.decision, 'deny');
      assert.match(malformed.reason, /invalid Read input/);
      assert.deepEqual((await store.readStream(StreamIds.toolCall(id))).map((e) => e.type), ['ToolCallDenied']);
    });
  });
});
