import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type INestApplication, type INestApplicationContext } from '@nestjs/common';
import { parseConfigText, type ResolvedConfig } from '#config';
import { type RecordedEvent, StreamIds } from '#contracts';
import { EventStore } from '#event-store';
import { type ChatCompletionRequestBody, createTestDatabase, deleteBusStreams, ScriptedLlm, type ScriptedTurn, type TestDatabase, uniqueBusPrefix } from '#testing';
import { startAgent } from '../../../apps/agent/src/start-agent.js';
import { startAuthz } from '../../../apps/authz/src/start-authz.js';
import { gatewayUrl, startGateway } from '../../../apps/gateway/src/index.js';
import { TelegramEmulator, type TelegramPerson } from './telegram-emulator.js';

const gatewayProcess = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gateway-process.js');

/** The article's scheme B on Telegram: alice_bot answers Alice with her agent, bob_bot answers Bob with his. */
export const tokens = {
  alice_bot: `7001:alice-${randomBytes(8).toString('hex')}`,
  bob_bot: `7002:bob-${randomBytes(8).toString('hex')}`,
};

export const people = {
  alice: { userId: 111_222_333, firstName: 'Alice' },
  bob: { userId: 987_654_321, firstName: 'Bob' },
  mallory: { userId: 555_000_555, firstName: 'Mallory' },
} satisfies Record<string, TelegramPerson>;

export interface TelegramWebhookSettings {
  readonly publicUrl: string;
  readonly secretToken: string;
}

export function telegramConfigText(apiRoot: string, llmBaseUrl: string, webhook?: TelegramWebhookSettings): string {
  return JSON.stringify({
    channels: {
      telegram: {
        apiRoot,
        pollTimeoutSeconds: 0,
        ...(webhook !== undefined ? { webhook } : {}),
        accounts: {
          alice_bot: { botToken: tokens.alice_bot, allowedUsers: [people.alice.userId] },
          bob_bot: { botToken: tokens.bob_bot, allowedUsers: [people.bob.userId] },
        },
      },
    },
    providers: [{ name: 'intranet', type: 'openai-compatible', baseUrl: llmBaseUrl, apiKey: 'sk-telegram-e2e', models: ['llama3.1'] }],
    defaultProvider: 'intranet',
    agents: {
      default: { permissions: { allow: ['Read'] } },
      alice: { allowedUsers: [people.alice.userId], bindings: [{ channel: 'telegram', account: 'alice_bot' }], systemPrompt: 'You are the assistant of alice.' },
      bob: { allowedUsers: [people.bob.userId], bindings: [{ channel: 'telegram', account: 'bob_bot' }], systemPrompt: 'You are the assistant of bob.' },
    },
  });
}

/** Answers `<agent> heard: <last user text>`, the agent read from its system prompt: which agent answered shows. */
function echoWithAgent(request: ChatCompletionRequestBody): ScriptedTurn {
  const system = request.messages.find((m) => m.role === 'system');
  const agent = /assistant of (\w+)/.exec(String(system?.content ?? ''))?.[1] ?? 'default';
  const user = [...request.messages].reverse().find((m) => m.role === 'user');
  return { reply: `${agent} heard: ${String(user?.content ?? '')}` };
}

export interface TelegramPipeline {
  readonly emulator: TelegramEmulator;
  readonly llm: ScriptedLlm;
  readonly config: ResolvedConfig;
  readonly configFile: string;
  readonly database: TestDatabase;
  readonly prefix: string;
  readonly store: EventStore;
  /** Starts authz and the agent (in this process). */
  startServices(): Promise<void>;
  /** Starts the gateway in this process; resolves with its URL. */
  startGateway(): Promise<string>;
  /** Stops the gateway started by {@link startGateway}. */
  stopGateway(): Promise<void>;
  /** Starts the gateway in a child process the test may kill; resolves once it is ready. */
  spawnGateway(): Promise<ChildProcess>;
  /** Every event of one stream. */
  events(streamId: string): Promise<RecordedEvent[]>;
  stop(): Promise<void>;
}

export async function startTelegramPipeline(options: { webhook?: TelegramWebhookSettings } = {}): Promise<TelegramPipeline> {
  const emulator = await TelegramEmulator.start();
  const llm = await ScriptedLlm.start({ fallback: echoWithAgent });
  const database = await createTestDatabase('telegram');
  const prefix = uniqueBusPrefix('telegram');
  const text = telegramConfigText(emulator.apiRoot, llm.baseUrl, options.webhook);
  const configFile = path.join(mkdtempSync(path.join(tmpdir(), 'clawgate-telegram-')), 'clawgate.json5');
  writeFileSync(configFile, text);
  const config = parseConfigText(text, configFile, {});
  const common = { config, databaseUrl: database.url, subjectPrefix: prefix, logger: false };
  const apps: (INestApplicationContext | INestApplication)[] = [];
  const children: ChildProcess[] = [];
  let gateway: INestApplication | undefined;
  const store = await EventStore.connect({ databaseUrl: database.url });
  return {
    emulator,
    llm,
    config,
    configFile,
    database,
    prefix,
    store,
    async startServices() {
      apps.push(await startAuthz(common));
      apps.push(await startAgent(common));
    },
    async startGateway() {
      gateway = await startGateway({ ...common, port: 0 });
      apps.push(gateway);
      return gatewayUrl(gateway);
    },
    async stopGateway() {
      const running = gateway;
      if (running === undefined) return;
      gateway = undefined;
      apps.splice(apps.indexOf(running), 1);
      await running.close();
    },
    async spawnGateway() {
      const child = spawn(process.execPath, [gatewayProcess], {
        env: { ...process.env, CLAWGATE_CONFIG: configFile, DATABASE_URL: database.url, CLAWGATE_SUBJECT_PREFIX: prefix },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        let output = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('gateway ready')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`gateway process exited (${code}) before it was ready`)));
      });
      return child;
    },
    events: (streamId) => store.readStream(streamId),
    async stop() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const app of apps.reverse()) await app.close();
      await store.close();
      await llm.close();
      await emulator.close();
      await deleteBusStreams(prefix);
      await database.drop();
    },
  };
}

export const sessionStream = (agent: string, userId: number) => StreamIds.session(`agent:${agent}:telegram:${userId}`);
