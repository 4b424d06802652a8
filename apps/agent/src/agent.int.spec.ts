import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type INestApplicationContext } from '@nestjs/common';
import { Bus, type Consumption } from '#bus';
import {
  EVENT_TYPES,
  OutboundReplySchema,
  RunRequestSchema,
  StreamIds,
  ToolActivitySchema,
  deterministicEventId,
  type InboundMessage,
  type LlmCallCompleted,
  type OutboundReply,
  type RunRequest,
  type ToolActivity,
} from '#contracts';
import { parseConfigText } from '#config';
import { EventStore } from '#event-store';
import { createTestDatabase, deleteBusStreams, eventually, ScriptedLlm, uniqueBusPrefix } from '#testing';
import { startAuthz } from '../../authz/src/start-authz.js';
import { startAgent } from './start-agent.js';

const bounded = { timeout: 60_000 };

function configFor(llmBaseUrl: string, deadBaseUrl: string) {
  return parseConfigText(
    `{
      channels: { telegram: { botToken: "t", allowedUsers: [100, 200, 300, 400, 500] } },
      providers: [
        { name: "intranet", type: "openai-compatible", baseUrl: "${llmBaseUrl}", apiKey: "sk-secret-agent-key", models: ["llama3.1"] },
        { name: "down", type: "openai-compatible", baseUrl: "${deadBaseUrl}", models: ["gone"] },
      ],
      defaultProvider: "intranet",
      agents: {
        default: { systemPrompt: "You are the team assistant.", permissions: { allow: ["Read", "Bash(git *)", "Bash(ls *)"], deny: ["Bash(rm *)"] } },
        offline: { allowedUsers: [500], provider: "down" },
      },
    }`,
    'agent-test',
    {},
  );
}

function message(user: string, text: string): InboundMessage {
  return {
    messageId: `telegram:default:${randomUUID()}`,
    channel: 'telegram',
    account: 'default',
    chat: { id: user, type: 'direct' },
    user: { id: user },
    text,
    receivedAt: new Date().toISOString(),
  };
}


describe('agent service with authz, over NATS JetStream and PostgreSQL, against a scripted model', () => {
  const prefix = uniqueBusPrefix('agent');
  let llm: ScriptedLlm;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let authz: INestApplicationContext;
  let agent: INestApplicationContext;
  let bus: Bus;
  let store: EventStore;
  let replies: Consumption;
  const outbound: OutboundReply[] = [];
  const activity: ToolActivity[] = [];

  before(async () => {
    llm = await ScriptedLlm.start();
    database = await createTestDatabase('agent');
    const config = configFor(llm.baseUrl, 'http://127.0.0.1:9/v1');
    authz = await startAuthz({ config, databaseUrl: database.url, subjectPrefix: prefix, logger: false });
    agent = await startAgent({ config, databaseUrl: database.url, subjectPrefix: prefix, logger: false, settings: { historyBudgetChars: 200 } });
    bus = await Bus.connect({ prefix });
    store = await EventStore.connect({ databaseUrl: database.url });
    replies = await bus.consume({
      stream: 'outbound',
      durable: 'test-outbound',
      filterSubject: bus.subjects.stream('outbound').subject,
      schema: OutboundReplySchema,
      handler: async (reply) => void outbound.push(reply),
      onInvalid: () => assert.fail('invalid outbound reply'),
      onRetriesExhausted: () => assert.fail('outbound reply not handled'),
    });
    bus.listen(bus.subjects.activityForChannel('telegram'), ToolActivitySchema, (payload) => activity.push(payload));
  });

  after(async () => {
    await replies?.stop();
    await agent?.close();
    await authz?.close();
    await bus?.close();
    await store?.close();
    await llm?.close();
    await deleteBusStreams(prefix);
    await database?.drop();
  });

  const send = (inbound: InboundMessage) => bus.publish(bus.subjects.inbound('telegram'), inbound, { msgId: inbound.messageId });
  const replyTo = (inbound: InboundMessage) => eventually(`the reply to "${inbound.text}"`, () => outbound.find((r) => r.inReplyTo === inbound.messageId));
  const session = (user: string) => store.readStream(StreamIds.session(`agent:default:telegram:${user}`));

  it('answers an authorized message and records each step under the message as correlation id', bounded, async () => {
    llm.enqueue({ reply: 'Hello! How can I help?' });
    const inbound = message('100', 'hi there');
    await send(inbound);
    const reply = await replyTo(inbound);
    assert.deepEqual([reply.kind, reply.text, reply.chat.id, reply.user.id], ['answer', 'Hello! How can I help?', '100', '100']);

    const events = await session('100');
    assert.deepEqual(events.map((e) => e.type), [EVENT_TYPES.MessageReceived, EVENT_TYPES.MessageAuthorized, EVENT_TYPES.LlmCallCompleted, EVENT_TYPES.ReplyProduced]);
    assert.ok(events.every((e) => e.metadata.correlationId === inbound.messageId));
    const call = events[2]!.data as LlmCallCompleted;
    assert.deepEqual([call.provider, call.model, call.inputTokens, call.outputTokens], ['intranet', 'llama3.1', 10, 5]);
    const request = llm.requests.at(-1)!.body;
    assert.deepEqual(request.messages, [{ role: 'system', content: 'You are the team assistant.' }, { role: 'user', content: 'hi there' }]);
    assert.deepEqual((request.tools as { function: { name: string } }[]).map((t) => t.function.name), ['Bash', 'Read', 'Write', 'Edit', 'Glob', 'Grep']);
  });

  it('denies a tool call the rules forbid: nothing runs, the model is told why, the user still gets an answer', bounded, async () => {
    llm.enqueue({ toolCalls: [{ id: 'call_rm', name: 'Bash', arguments: { command: 'rm -rf /workspace' } }] }, { reply: 'I am not allowed to delete the workspace.' });
    const inbound = message('200', 'clean up everything');
    await send(inbound);
    const reply = await replyTo(inbound);
    assert.equal(reply.text, 'I am not allowed to delete the workspace.');

    const toolCallId = deterministicEventId(inbound.messageId, 'tool:1:0');
    const toolEvents = await store.readStream(StreamIds.toolCall(toolCallId));
    assert.deepEqual(toolEvents.map((e) => e.type), [EVENT_TYPES.ToolCallRequested, EVENT_TYPES.ToolCallDenied]);
    assert.equal((toolEvents[1]!.data as { rule: string }).rule, 'Bash(rm *)');
    const toolMessage = llm.requests.at(-1)!.body.messages.find((m) => m.role === 'tool')!;
    assert.equal(toolMessage.tool_call_id, 'call_rm');
    assert.match(String(toolMessage.content), /^Denied by policy \(rule Bash\(rm \*\)\)/);
    const stages = await eventually('the live tool-call activity', () => {
      const seen = activity.filter((a) => a.toolCallId === toolCallId).map((a) => a.stage);
      return seen.length >= 2 ? seen : undefined;
    });
    assert.deepEqual(stages, ['requested', 'denied']);
  });

  it('ends in RunFailed and tells the user when the provider cannot be reached', bounded, async () => {
    const before = llm.requests.length;
    const inbound = message('500', 'are you there?');
    await send(inbound);
    const reply = await replyTo(inbound);
    assert.equal(reply.kind, 'error');
    assert.match(reply.text, /model \(down\) cannot be reached/);
    const events = await store.readStream(StreamIds.session('agent:offline:telegram:500'));
    const failed = events.find((e) => e.type === EVENT_TYPES.RunFailed)!;
    assert.match((failed.data as { error: string }).error, /provider "down" at http:\/\/127\.0\.0\.1:9\/v1: cannot be reached/);
    assert.equal(llm.requests.length, before, 'the working provider was not called');
    assert.ok(!JSON.stringify(events).includes('sk-secret-agent-key'));
  });

  it('answers a redelivered run from the store: no second model call, no new event, the same reply id', bounded, async () => {
    llm.enqueue({ reply: 'only once' });
    const inbound = message('300', 'say it once');
    await send(inbound);
    const first = await replyTo(inbound);
    const calls = llm.requests.length;
    const events = await session('300');
    const authorized = events.find((e) => e.type === EVENT_TYPES.MessageAuthorized)!;
    const run: RunRequest = RunRequestSchema.parse({
      messageId: inbound.messageId,
      agentId: 'default',
      sessionKey: 'agent:default:telegram:300',
      sessionVersion: authorized.streamVersion,
      correlationId: inbound.messageId,
      causationId: authorized.eventId,
    });
    // A redelivery as JetStream would make it after a lost ack (a new stream message, same content).
    await bus.publish(bus.subjects.run('default'), run, { msgId: randomUUID() });
    const sentinel = message('300', 'and then?');
    llm.enqueue({ reply: 'sentinel answered' });
    await send(sentinel);
    await replyTo(sentinel);
    assert.equal(llm.requests.length, calls + 1, 'only the sentinel called the model');
    assert.equal(outbound.filter((r) => r.inReplyTo === inbound.messageId).length, 1, 'JetStream dropped the duplicate reply');
    assert.equal(first.replyId, deterministicEventId(inbound.messageId, 'reply'));
    const after = await session('300');
    assert.equal(after.filter((e) => e.metadata.correlationId === inbound.messageId).length, 4);
  });

  it('answers two messages of one session in order, never interleaved, and records what the budget dropped', bounded, async () => {
    const first = message('400', `first question, long enough to overflow this test's small history budget: ${'x'.repeat(110)}`);
    const second = message('400', 'second question');
    llm.enqueue({ reply: 'answer one' }, { reply: 'answer two' });
    await send(first);
    await send(second);
    const [a, b] = [await replyTo(first), await replyTo(second)];
    assert.deepEqual([a.text, b.text], ['answer one', 'answer two']);
    const events = await session('400');
    const types = events.map((e) => `${e.type}:${e.metadata.correlationId === first.messageId ? 1 : 2}`);
    const lastOfFirst = types.lastIndexOf(`${EVENT_TYPES.ReplyProduced}:1`);
    const firstOfSecondRun = types.findIndex((t) => t.startsWith(EVENT_TYPES.LlmCallCompleted) && t.endsWith(':2'));
    assert.ok(lastOfFirst < firstOfSecondRun, `runs interleaved: ${types.join(', ')}`);
    const secondRequest = llm.requests.find((r) => r.body.messages.some((m) => m.content === 'second question'))!;
    const truncated = events.find((e) => e.type === EVENT_TYPES.ContextTruncated);
    assert.ok(truncated, `the dropped first turn is recorded: ${types.join(', ')}`);
    assert.deepEqual(secondRequest.body.messages.map((m) => m.content), ['You are the team assistant.', 'second question']);
  });
});
