import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type INestApplicationContext } from '@nestjs/common';
import { Bus } from '#bus';
import { SandboxExecReplySchema, StreamIds, ToolAuthorizationReplySchema, type SandboxExecReply } from '#contracts';
import { parseConfigText } from '#config';
import { EventStore } from '#event-store';
import { createTestDatabase, deleteBusStreams, uniqueBusPrefix } from '#testing';
import { startAuthz } from '../../authz/src/start-authz.js';
import { startSandbox } from './start-sandbox.js';
import { hostWorkspace, requireTestImage, TEST_IMAGE, uniqueOwner } from './test-support/sandbox-fixtures.js';

const workspace = hostWorkspace();
const config = parseConfigText(
  `{
    agents: {
      default: {
        permissions: { allow: ["Read", "Write", "Bash(*)"], deny: ["Read(/etc/**)", "Write(/etc/**)"] },
        sandbox: { type: "docker", docker: { image: "${TEST_IMAGE}", mounts: [{ host: "${workspace}", container: "/workspace" }] } },
      },
    },
  }`,
  'sandbox-test',
  {},
);

describe('sandbox service over NATS and PostgreSQL, after authz', () => {
  const prefix = uniqueBusPrefix('sandbox');
  const owner = uniqueOwner('service');
  const sessionKey = 'agent:default:webchat:ann';
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let authz: INestApplicationContext;
  let sandbox: INestApplicationContext;
  let bus: Bus;
  let store: EventStore;

  before(async () => {
    await requireTestImage();
    database = await createTestDatabase('sandbox');
    const options = { config, databaseUrl: database.url, subjectPrefix: prefix, logger: false };
    authz = await startAuthz(options);
    sandbox = await startSandbox({ ...options, containerOwner: owner });
    bus = await Bus.connect({ prefix });
    store = await EventStore.connect({ databaseUrl: database.url });
  });

  after(async () => {
    await sandbox?.close();
    await authz?.close();
    await bus?.close();
    await store?.close();
    await deleteBusStreams(prefix);
    await database?.drop();
  });

  /** What the agent does: ask authz, then the sandbox, with the same tool-call id. */
  async function authorize(toolCallId: string, tool: string, input: unknown): Promise<void> {
    const decision = await bus.request(
      bus.subjects.authzTool(),
      { toolCallId, sessionKey, agentId: 'default', tool, input, correlationId: `msg-${toolCallId}` },
      { responseSchema: ToolAuthorizationReplySchema, timeoutMs: 10_000 },
    );
    assert.equal(decision.decision, 'allow', decision.reason);
  }

  function execute(toolCallId: string, tool: string, input: unknown): Promise<SandboxExecReply> {
    return bus.request(
      bus.subjects.sandboxExec('default'),
      { toolCallId, sessionKey, tool, input, correlationId: `msg-${toolCallId}` },
      { responseSchema: SandboxExecReplySchema, timeoutMs: 30_000, retries: 0 },
    );
  }

  const counterLines = () => readFileSync(path.join(workspace, 'counter'), 'utf8').split('\n').filter(Boolean).length;

  it('runs an authorized call once: a repeated tool-call id is answered from the event store', async () => {
    const id = `tc-${randomUUID()}`;
    const input = { command: 'echo ran >> /workspace/counter; wc -l < /workspace/counter' };
    await authorize(id, 'Bash', input);
    const first = await execute(id, 'Bash', input);
    assert.equal(first.status, 'executed');
    assert.equal(first.recorded, false);
    const again = await execute(id, 'Bash', input);
    assert.deepEqual(again, { ...first, recorded: true });
    assert.equal(counterLines(), 1, 'the side effect happened once');
    const stream = await store.readStream(StreamIds.toolCall(id));
    assert.deepEqual(stream.map((event) => event.type), ['ToolCallAuthorized', 'ToolCallExecuted']);
    assert.equal(first.status === 'executed' ? first.outcome.stdout : '', '1\n');
  });

  it('runs a tool call once even when the same id arrives twice at the same time', async () => {
    const id = `tc-${randomUUID()}`;
    const input = { command: 'echo ran >> /workspace/counter; sleep 0.2' };
    await authorize(id, 'Bash', input);
    const before = counterLines();
    const replies = await Promise.all([execute(id, 'Bash', input), execute(id, 'Bash', input)]);
    assert.deepEqual(replies.map((reply) => reply.status), ['executed', 'executed']);
    assert.equal(counterLines(), before + 1);
    assert.equal((await store.readStream(StreamIds.toolCall(id))).filter((event) => event.type === 'ToolCallExecuted').length, 1);
  });

  it('refuses a call authz never allowed, and records why', async () => {
    const id = `tc-${randomUUID()}`;
    const before = counterLines();
    const reply = await execute(id, 'Bash', { command: 'echo ran >> /workspace/counter' });
    assert.equal(reply.status, 'failed');
    assert.equal(reply.status === 'failed' ? reply.code : '', 'NOT_AUTHORIZED');
    assert.equal(counterLines(), before);
    assert.deepEqual((await store.readStream(StreamIds.toolCall(id))).map((event) => event.type), ['ToolCallFailed']);
  });

  it('records ToolCallFailed when the real path of a Read is denied (a symlink to /etc/passwd)', async () => {
    symlinkSync('/etc/passwd', path.join(workspace, 'notes.txt'));
    const id = `tc-${randomUUID()}`;
    const input = { file_path: '/workspace/notes.txt' };
    await authorize(id, 'Read', input);
    const reply = await execute(id, 'Read', input);
    assert.equal(reply.status, 'failed');
    assert.equal(reply.status === 'failed' ? reply.code : '', 'PATH_DENIED');
    assert.match(reply.status === 'failed' ? reply.error : '', /\/etc\/passwd .*Read\(\/etc\/\*\*\)/);
    const [, failed] = await store.readStream(StreamIds.toolCall(id));
    assert.equal(failed?.type, 'ToolCallFailed');
    assert.doesNotMatch(JSON.stringify(failed?.data), /root:x:0/);
  });
});
