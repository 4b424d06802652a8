import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { EVENT_TYPES, StreamIds } from '#contracts';
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
});
