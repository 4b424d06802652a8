import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type RecordedEvent } from '#contracts';
import { EventStore, START_CURSOR } from '#event-store';
import { cliEntry, createTestDatabase, type TestDatabase } from '#testing';
import { startProjector } from '../start-projector.js';
import { lsOutcome, SessionEventWriter } from '../test-support/session-events.js';
import { waitForCheckpointPast } from '../test-support/wait-for-projection.js';
import { AUDITED_TYPES } from './audit-file-lines.js';
import { AUDIT_FILE_SUBSCRIPTION } from './project-audit-file.js';

const bounded = { timeout: 90_000 };

/** One conversation: a message, a model call asking for `ls`, its decision and result, a model call, the reply. */
async function converse(writer: SessionEventWriter, user: string, text: string): Promise<RecordedEvent> {
  const { run } = await writer.receive(user, text);
  const call = await writer.modelCall(run, 1, { inputTokens: 100, outputTokens: 10, latencyMs: 5, toolCalls: [{ name: 'Bash', input: { command: `ls /workspace/${user}` } }] });
  await writer.requestAndDecide(run, 1, call.toolCalls[0]!);
  await writer.executed(run, call.toolCalls[0]!, lsOutcome('notes.md\n'));
  await writer.modelCall(run, 2, { inputTokens: 120, outputTokens: 12, latencyMs: 5, content: 'notes.md' });
  return writer.reply(run, 'You have notes.md.', 2);
}

describe('the audit file the projector writes', () => {
  let database: TestDatabase;
  let store: EventStore;
  let client: pg.Client;
  let directory: string;
  let configFile: string;

  before(async () => {
    database = await createTestDatabase('auditfile');
    store = await EventStore.connect({ databaseUrl: database.url });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    directory = await mkdtemp(path.join(tmpdir(), 'clawgate-auditfile-'));
    configFile = path.join(directory, 'clawgate.json5');
    await writeFile(
      configFile,
      JSON.stringify({
        channels: { telegram: { botToken: 't', allowedUsers: [100, 200] } },
        logging: { auditLog: { enabled: true, path: path.join(directory, 'log', 'audit.jsonl'), includeMessages: false, includeTools: true, rotateBytes: 4096 } },
      }),
    );
  });

  after(async () => {
    await client?.end();
    await store?.close();
    await database?.drop();
  });

  /** Runs `clawgate start projector` until the audit file's checkpoint has passed `last`; then kills it with `signal`. */
  async function runProjectorUntil(last: RecordedEvent, signal: NodeJS.Signals): Promise<[number | null, NodeJS.Signals | null]> {
    const projector = spawn(process.execPath, [cliEntry, 'start', 'projector', '--config', configFile], {
      env: { PATH: process.env.PATH, DATABASE_URL: database.url },
      stdio: 'ignore',
    });
    const exited = once(projector, 'exit');
    await waitForCheckpointPast(client, AUDIT_FILE_SUBSCRIPTION, last);
    projector.kill(signal);
    return (await exited) as [number | null, NodeJS.Signals | null];
  }

  /** Every line of the rotated files (oldest first) and of the current file. */
  function allLines(): string[] {
    const logDirectory = path.join(directory, 'log');
    const files = readdirSync(logDirectory).filter((name) => name.startsWith('audit.jsonl.')).sort();
    return [...files, 'audit.jsonl'].flatMap((name) => readFileSync(path.join(logDirectory, name), 'utf8').split('\n').filter((line) => line !== ''));
  }

  async function auditedEventIds(): Promise<string[]> {
    const ids: string[] = [];
    let cursor = START_CURSOR;
    for (;;) {
      const page = await store.readAll(cursor, 1000);
      ids.push(...page.events.filter((event) => AUDITED_TYPES.has(event.type)).map((event) => event.eventId));
      if (page.caughtUp || page.events.length === 0) return ids;
      cursor = page.next;
    }
  }

  it('neither loses nor repeats a line across a kill, a torn line and a checkpoint behind the file; rotates by size', bounded, async () => {
    const writer = await SessionEventWriter.create(store);
    let last = await converse(writer, '100', 'what is in my workspace?');
    const [, killedBy] = await runProjectorUntil(last, 'SIGKILL');
    assert.equal(killedBy, 'SIGKILL');
    const beforeCrash = allLines().length;
    assert.equal(beforeCrash, 5, 'message, model call, tool, model call, reply');

    // The worst moments to die: in the middle of a line, and after the flush but before the checkpoint committed.
    appendFileSync(path.join(directory, 'log', 'audit.jsonl'), '{"timestamp":"2026-11-25T00:00:00.000Z","userId":"1');
    await client.query('DELETE FROM es_checkpoints WHERE subscription = $1', [AUDIT_FILE_SUBSCRIPTION]);

    for (let n = 0; n < 12; n += 1) last = await converse(writer, n % 2 === 0 ? '200' : '100', `message ${n}`);
    const [code, signal] = await runProjectorUntil(last, 'SIGTERM');
    assert.deepEqual([code, signal], [0, null]);

    const lines = allLines();
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      parsed.map((line) => line.eventId),
      await auditedEventIds(),
      'every audited event once, in the order the store gives them',
    );
    assert.ok(readdirSync(path.join(directory, 'log')).some((name) => name.startsWith('audit.jsonl.')), 'the file was rotated');

    const message = parsed.find((line) => line.action === 'message' && line.userId === '100')!;
    assert.deepEqual(Object.keys(message).sort(), ['action', 'channel', 'correlationId', 'eventId', 'result', 'sessionId', 'agentId', 'textLength', 'textSha256', 'timestamp', 'userId'].sort());
    assert.equal(message.textLength, 'what is in my workspace?'.length);
    const tool = parsed.find((line) => line.action === 'tool')!;
    assert.deepEqual([tool.userId, tool.channel, tool.tool, tool.command, tool.result], ['100', 'telegram', 'Bash', 'ls /workspace/100', 'ok']);
    const modelCall = parsed.find((line) => line.action === 'model_call')!;
    assert.deepEqual([modelCall.model, modelCall.tokens], ['llama3.1', { input: 100, output: 10 }]);
  });

  it('does not start when the audit file cannot be opened, and says what to change', bounded, async () => {
    const notADirectory = path.join(directory, 'clawgate.json5', 'audit.jsonl');
    await assert.rejects(
      startProjector({ databaseUrl: database.url, logger: false, auditFile: { path: notADirectory, includeMessages: false, includeTools: true } }),
      /cannot open the audit file \(logging\.auditLog\.path\) .*audit\.jsonl: .*make its directory writable by this user, or change the path/,
    );
  });
});
