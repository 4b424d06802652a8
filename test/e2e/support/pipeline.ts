import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type INestApplication, type INestApplicationContext } from '@nestjs/common';
import { type ResolvedConfig, parseConfigText } from '#config';
import { EventStore } from '#event-store';
import { createTestDatabase, deleteBusStreams, ScriptedLlm, type ScriptedLlmOptions, type TestDatabase, uniqueBusPrefix } from '#testing';
import { startAgent } from '../../../apps/agent/src/start-agent.js';
import { startAuthz } from '../../../apps/authz/src/start-authz.js';
import { gatewayUrl, startGateway } from '../../../apps/gateway/src/index.js';
import { startSandbox } from '../../../apps/sandbox/src/start-sandbox.js';
import { hostWorkspace, requireTestImage, TEST_IMAGE, uniqueOwner } from '../../../apps/sandbox/src/test-support/sandbox-fixtures.js';

export const tokens = {
  ann: `ann-${randomBytes(12).toString('hex')}`,
  olga: `olga-${randomBytes(12).toString('hex')}`,
  eve: `eve-${randomBytes(12).toString('hex')}`,
};

/** The deployment the end-to-end tests run: one config, every service, the real engine, a scripted model. */
export function pipelineConfigText(llmBaseUrl: string, workspace: string): string {
  return JSON.stringify({
    channels: {
      webchat: {
        users: { ann: { token: tokens.ann }, olga: { token: tokens.olga }, eve: { token: tokens.eve } },
        allowedUsers: ['ann', 'olga'],
        notifyRejected: true,
      },
    },
    providers: [
      { name: 'intranet', type: 'openai-compatible', baseUrl: llmBaseUrl, apiKey: 'sk-e2e-secret', models: ['llama3.1'] },
      { name: 'down', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', models: ['gone'] },
    ],
    defaultProvider: 'intranet',
    agents: {
      default: {
        permissions: { allow: ['Read', 'Bash(ls *)', 'Bash(cat *)'], deny: ['Bash(rm *)', 'Write(/etc/*)'] },
        sandbox: { type: 'docker', docker: { image: TEST_IMAGE, mounts: [{ host: workspace, container: '/workspace' }] } },
      },
      offline: { allowedUsers: ['olga'], provider: 'down' },
    },
  });
}

export interface Pipeline {
  config: ResolvedConfig;
  configFile: string;
  llm: ScriptedLlm;
  database: TestDatabase;
  prefix: string;
  workspace: string;
  store: EventStore;
  baseUrl: string;
  containerOwner: string;
  stop(): Promise<void>;
}

/**
 * Starts authz, the sandbox, the gateway and (unless `agent: false`, for tests that run it in a process of
 * their own) the agent, on a database and a subject prefix of their own.
 */
export async function startPipeline(options: { agent?: boolean; llm?: ScriptedLlmOptions } = {}): Promise<Pipeline> {
  await requireTestImage();
  const llm = await ScriptedLlm.start(options.llm);
  const database = await createTestDatabase('e2e');
  const prefix = uniqueBusPrefix('e2e');
  const workspace = hostWorkspace();
  writeFileSync(path.join(workspace, 'quarterly-report.txt'), 'revenue up\n');
  const configFile = path.join(workspace, '..', `${path.basename(workspace)}.json5`);
  const text = pipelineConfigText(llm.baseUrl, workspace);
  writeFileSync(configFile, text);
  const config = parseConfigText(text, configFile, {});
  const containerOwner = uniqueOwner('e2e');
  const common = { config, databaseUrl: database.url, subjectPrefix: prefix, logger: false };
  const apps: (INestApplicationContext | INestApplication)[] = [];
  apps.push(await startAuthz(common));
  apps.push(await startSandbox({ ...common, containerOwner }));
  if (options.agent !== false) apps.push(await startAgent(common));
  const gateway = await startGateway({ ...common, port: 0, replyTimeoutMs: 60_000 });
  apps.push(gateway);
  const store = await EventStore.connect({ databaseUrl: database.url });
  return {
    config,
    configFile,
    llm,
    database,
    prefix,
    workspace,
    store,
    baseUrl: gatewayUrl(gateway),
    containerOwner,
    async stop() {
      for (const app of apps.reverse()) await app.close();
      await store.close();
      await llm.close();
      await deleteBusStreams(prefix);
      await database.drop();
    },
  };
}
