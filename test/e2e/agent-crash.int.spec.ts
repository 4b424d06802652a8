import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { EVENT_TYPES, StreamIds, deterministicEventId } from '#contracts';
import { postMessage } from '../../apps/gateway/src/test-support/gateway-test-kit.js';
import { eventually } from '#testing';
import { startPipeline, tokens, type Pipeline } from './support/pipeline.js';

const agentProcess = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'agent-process.js');

describe('end to end: the agent is killed (SIGKILL) during the model call', () => {
  let pipeline: Pipeline;
  const children: ChildProcess[] = [];

  before(async () => {
    pipeline = await startPipeline({ agent: false });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await pipeline?.stop();
  });

  /** One agent at a time: the previous test's agent would otherwise share the runs. */
  async function stopAgentProcesses(): Promise<void> {
    for (const child of children.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }

  async function startAgentProcess(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [agentProcess], {
      env: { ...process.env, CLAWGATE_CONFIG: pipeline.configFile, DATABASE_URL: pipeline.database.url, CLAWGATE_SUBJECT_PREFIX: pipeline.prefix },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let output = '';
    child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('agent ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`agent process exited (${code}) before it was ready`)));
    });
    return child;
  }

  it('answers the message exactly once after the agent restarts', { timeout: 90_000 }, async () => {
    const first = await startAgentProcess();
    pipeline.llm.enqueue({ hang: true }, { reply: 'answered after the restart' });
    const calls = pipeline.llm.requests.length;
    const pending = postMessage(pipeline.baseUrl, tokens.ann, JSON.stringify({ text: 'survive a crash', id: 'crash-1' }));

    await eventually('the model call to hang', () => (pipeline.llm.requests.length > calls ? true : undefined));
    first.kill('SIGKILL');
    await once(first, 'exit');
    await startAgentProcess();

    const response = await pending;
    assert.equal(response.status, 200, response.text);
    const { messageId, reply } = response.body as { messageId: string; reply: { kind: string; text: string } };
    assert.deepEqual([reply.kind, reply.text], ['answer', 'answered after the restart']);
    assert.equal(pipeline.llm.requests.length, calls + 2, 'the model was asked again once, after the restart');

    const session = await eventually('the delivery to be recorded', async () => {
      const events = (await pipeline.store.readStream(StreamIds.session('agent:default:webchat:ann'))).filter((e) => e.metadata.correlationId === messageId);
      return events.some((e) => e.type === EVENT_TYPES.ReplyDelivered) ? events : undefined;
    });
    assert.deepEqual(session.map((e) => e.type), [
      EVENT_TYPES.MessageReceived,
      EVENT_TYPES.MessageAuthorized,
      EVENT_TYPES.LlmCallCompleted,
      EVENT_TYPES.ReplyProduced,
      EVENT_TYPES.ReplyDelivered,
    ]);
  });

  it('resumes a run killed after a tool call ran: the tool does not run again, the answer comes once', { timeout: 90_000 }, async () => {
    await stopAgentProcesses();
    const agent = await startAgentProcess();
    pipeline.llm.enqueue({ toolCalls: [{ name: 'Bash', arguments: { command: 'ls /workspace' } }] }, { hang: true }, { reply: 'listed, after the restart' });
    const calls = pipeline.llm.requests.length;
    const pending = postMessage(pipeline.baseUrl, tokens.ann, JSON.stringify({ text: 'list and survive', id: 'crash-2' }));

    await eventually('the second model call to hang', () => (pipeline.llm.requests.length >= calls + 2 ? true : undefined));
    agent.kill('SIGKILL');
    await once(agent, 'exit');
    await startAgentProcess();

    const response = await pending;
    assert.equal(response.status, 200, response.text);
    const { messageId, reply } = response.body as { messageId: string; reply: { kind: string; text: string } };
    assert.deepEqual([reply.kind, reply.text], ['answer', 'listed, after the restart']);
    const toolCallId = deterministicEventId(messageId, 'tool:1:0');
    const toolEvents = await pipeline.store.readStream(StreamIds.toolCall(toolCallId));
    assert.deepEqual(toolEvents.map((e) => e.type), [EVENT_TYPES.ToolCallRequested, EVENT_TYPES.ToolCallAuthorized, EVENT_TYPES.ToolCallExecuted]);
    const replies = (await pipeline.store.readStream(StreamIds.session('agent:default:webchat:ann'))).filter(
      (e) => e.metadata.correlationId === messageId && e.type === EVENT_TYPES.ReplyProduced,
    );
    assert.equal(replies.length, 1);
  });
});
