import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EVENT_TYPES, StreamIds, deterministicEventId, type LlmCallCompleted, type RecordedEvent } from '#contracts';
import { type ChatCompletionRequestBody, type ScriptedTurn } from '#testing';
import { traceIdOf } from '#telemetry';
import { postMessage, TestSocket } from '../../apps/gateway/src/test-support/gateway-test-kit.js';
import { eventually } from '#testing';
import { startPipeline, tokens, type Pipeline } from './support/pipeline.js';

const bounded = { timeout: 90_000 };

/** The model's second turn: it reports what the tool said (or why it was refused). */
function reportToolResult(request: ChatCompletionRequestBody): ScriptedTurn {
  const tool = [...request.messages].reverse().find((m) => m.role === 'tool');
  if (tool) return { reply: `Tool said: ${String(tool.content)}` };
  const user = [...request.messages].reverse().find((m) => m.role === 'user');
  return { reply: `You said: ${String(user?.content ?? '')}` };
}

describe('end to end: WebChat → gateway → NATS → authz → agent → sandbox → reply', () => {
  let pipeline: Pipeline;

  before(async () => {
    pipeline = await startPipeline({ llm: { fallback: reportToolResult } });
  });
  after(() => pipeline?.stop());

  /** Every event of one inbound message: its session events and those of its tool calls, in order. */
  async function eventsOf(messageId: string, sessionKey: string): Promise<RecordedEvent[]> {
    const session = (await pipeline.store.readStream(StreamIds.session(sessionKey))).filter((e) => e.metadata.correlationId === messageId);
    const toolCallIds = session.filter((e) => e.type === EVENT_TYPES.LlmCallCompleted).flatMap((e) => (e.data as LlmCallCompleted).toolCalls.map((c) => c.toolCallId));
    const toolEvents = (await Promise.all(toolCallIds.map((id) => pipeline.store.readStream(StreamIds.toolCall(id))))).flat();
    return [...session, ...toolEvents].sort((a, b) => Number(BigInt(a.globalPosition) - BigInt(b.globalPosition)));
  }

  it('runs an allowed tool call in the sandbox and delivers the answer to the WebSocket, every step recorded in one trace', bounded, async () => {
    pipeline.llm.enqueue({ toolCalls: [{ name: 'Bash', arguments: { command: 'ls /workspace' } }] });
    const socket = await TestSocket.signIn(pipeline.baseUrl, tokens.ann);
    try {
      socket.send({ type: 'message', text: 'what is in my workspace?', id: 'ls-1' });
      const accepted = await socket.next('accepted');
      const reply = await socket.next('reply', (frame) => frame.messageId === accepted.messageId);
      assert.equal(reply.kind, 'answer');
      assert.match(reply.text, /^Tool said: exit code 0[\s\S]*quarterly-report\.txt/);
      const executed = await socket.next('toolCall', (frame) => frame.stage === 'executed');
      assert.equal(executed.tool, 'Bash');

      const events = await eventually('the delivery to be recorded', async () => {
        const found = await eventsOf(accepted.messageId, 'agent:default:webchat:ann');
        return found.some((e) => e.type === EVENT_TYPES.ReplyDelivered) ? found : undefined;
      });
      assert.deepEqual(events.map((e) => e.type), [
        EVENT_TYPES.MessageReceived,
        EVENT_TYPES.MessageAuthorized,
        EVENT_TYPES.LlmCallCompleted,
        EVENT_TYPES.ToolCallRequested,
        EVENT_TYPES.ToolCallAuthorized,
        EVENT_TYPES.ToolCallExecuted,
        EVENT_TYPES.LlmCallCompleted,
        EVENT_TYPES.ReplyProduced,
        EVENT_TYPES.ReplyDelivered,
      ]);
      assert.ok(events.every((e) => e.metadata.correlationId === accepted.messageId), 'one correlation id');
      const traceIds = new Set(events.map((e) => traceIdOf(e.metadata.traceparent)));
      assert.equal(traceIds.size, 1, `one trace: ${[...traceIds].join(', ')}`);
      assert.ok([...traceIds][0], 'every event carries the trace');
    } finally {
      await socket.close();
    }
  });

  it('denies rm -rf /workspace: nothing runs, the model is told why, the user gets an answer', bounded, async () => {
    pipeline.llm.enqueue({ toolCalls: [{ name: 'Bash', arguments: { command: 'rm -rf /workspace' } }] });
    const response = await postMessage(pipeline.baseUrl, tokens.ann, JSON.stringify({ text: 'delete everything' }));
    assert.equal(response.status, 200, response.text);
    const { messageId, reply } = response.body as { messageId: string; reply: { kind: string; text: string } };
    assert.equal(reply.kind, 'answer');
    assert.match(reply.text, /^Tool said: Denied by policy \(rule Bash\(rm \*\)\)/);
    const toolCallId = deterministicEventId(messageId, 'tool:1:0');
    const toolEvents = await pipeline.store.readStream(StreamIds.toolCall(toolCallId));
    assert.deepEqual(toolEvents.map((e) => e.type), [EVENT_TYPES.ToolCallRequested, EVENT_TYPES.ToolCallDenied]);
    assert.ok(existsSync(path.join(pipeline.workspace, 'quarterly-report.txt')), 'the workspace is untouched');
  });

  it('rejects a user outside the allowlist without calling the model', bounded, async () => {
    const calls = pipeline.llm.requests.length;
    const response = await postMessage(pipeline.baseUrl, tokens.eve, JSON.stringify({ text: 'let me in' }));
    assert.equal(response.status, 200, response.text);
    const { messageId, reply } = response.body as { messageId: string; reply: { kind: string; text: string } };
    assert.equal(reply.kind, 'rejection');
    const events = await pipeline.store.readStream(StreamIds.rejectedMessage(messageId));
    assert.deepEqual(events.slice(0, 2).map((e) => e.type), [EVENT_TYPES.MessageReceived, EVENT_TYPES.MessageRejected]);
    assert.equal((events[1]!.data as { reason: string }).reason, 'user_not_allowed');
    assert.equal(pipeline.llm.requests.length, calls, 'the model was never called');
  });

  it('answers two messages of one session sent at once in order, never interleaved', bounded, async () => {
    const [first, second] = await Promise.all([
      postMessage(pipeline.baseUrl, tokens.ann, JSON.stringify({ text: 'first of two', id: 'pair-1' })),
      postMessage(pipeline.baseUrl, tokens.ann, JSON.stringify({ text: 'second of two', id: 'pair-2' })),
    ]);
    const firstBody = first.body as { messageId: string; reply: { text: string } };
    const secondBody = second.body as { messageId: string; reply: { text: string } };
    assert.equal(firstBody.reply.text, 'You said: first of two');
    assert.equal(secondBody.reply.text, 'You said: second of two');
    const session = await pipeline.store.readStream(StreamIds.session('agent:default:webchat:ann'));
    // Sent at once, they reach JetStream in either order; the stream's order is the order they are answered in.
    const ids = [firstBody.messageId, secondBody.messageId];
    const [earlier, later] = session.filter((e) => e.type === EVENT_TYPES.MessageReceived && ids.includes(e.metadata.correlationId)).map((e) => e.metadata.correlationId);
    const runSteps = session.filter((e) => e.type === EVENT_TYPES.LlmCallCompleted || e.type === EVENT_TYPES.ReplyProduced);
    const owners = runSteps.map((e) => e.metadata.correlationId).filter((id) => ids.includes(id));
    assert.deepEqual(owners, [earlier, earlier, later, later]);
    const texts = { [firstBody.messageId]: 'first of two', [secondBody.messageId]: 'second of two' };
    const laterCall = pipeline.llm.requests.find((r) => r.body.messages.at(-1)?.content === texts[later!])!;
    assert.deepEqual(laterCall.body.messages.slice(-3).map((m) => m.content), [texts[earlier!], `You said: ${texts[earlier!]}`, texts[later!]]);
  });

  it('tells the user when the provider is down, and records RunFailed', bounded, async () => {
    const response = await postMessage(pipeline.baseUrl, tokens.olga, JSON.stringify({ text: 'anyone there?' }));
    assert.equal(response.status, 200, response.text);
    const { messageId, reply } = response.body as { messageId: string; reply: { kind: string; text: string } };
    assert.equal(reply.kind, 'error');
    assert.match(reply.text, /cannot be reached/);
    const session = await pipeline.store.readStream(StreamIds.session('agent:offline:webchat:olga'));
    const failed = session.find((e) => e.type === EVENT_TYPES.RunFailed && e.metadata.correlationId === messageId);
    assert.ok(failed, 'RunFailed recorded');
    assert.match((failed.data as { error: string }).error, /provider "down" at http:\/\/127\.0\.0\.1:9\/v1/);
  });
});
