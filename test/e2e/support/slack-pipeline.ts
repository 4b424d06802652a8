import { type INestApplication, type INestApplicationContext } from '@nestjs/common';
import { parseConfigText } from '#config';
import { EventStore } from '#event-store';
import { type ChatCompletionRequestBody, createTestDatabase, deleteBusStreams, ScriptedLlm, type ScriptedTurn, type TestDatabase, uniqueBusPrefix } from '#testing';
import { startAgent } from '../../../apps/agent/src/start-agent.js';
import { startAuthz } from '../../../apps/authz/src/start-authz.js';
import { gatewayUrl, startGateway } from '../../../apps/gateway/src/index.js';
import { SlackWebApiStub } from './slack-web-api-stub.js';

export const SLACK_SIGNING_SECRET = 'slack-e2e-signing-secret-0123456789';
export const SLACK_BOT_TOKEN = 'xoxb-slack-e2e-bot-token';
export const SLACK_APP_TOKEN = 'xapp-slack-e2e-app-token';

/** The article's Slack block, in Socket Mode or Events API mode, against the Web API stub. */
export function slackConfigText(apiUrl: string, llmBaseUrl: string, mode: 'socket' | 'events'): string {
  return JSON.stringify({
    channels: {
      slack: {
        enabled: true,
        mode,
        botToken: SLACK_BOT_TOKEN,
        ...(mode === 'events' ? { signingSecret: SLACK_SIGNING_SECRET } : { appToken: SLACK_APP_TOKEN }),
        apiUrl,
        allowedChannels: ['#engineering', '#ai-requests'],
        allowedUsers: ['U12345', 'U67890'],
      },
    },
    providers: [{ name: 'intranet', type: 'openai-compatible', baseUrl: llmBaseUrl, apiKey: 'sk-slack-e2e', models: ['llama3.1'] }],
    defaultProvider: 'intranet',
    agents: { default: { permissions: { allow: ['Read'] } } },
  });
}

function echo(request: ChatCompletionRequestBody): ScriptedTurn {
  const user = [...request.messages].reverse().find((m) => m.role === 'user');
  return { reply: `heard: ${String(user?.content ?? '')}` };
}

export interface SlackPipeline {
  readonly slack: SlackWebApiStub;
  readonly llm: ScriptedLlm;
  readonly database: TestDatabase;
  readonly store: EventStore;
  readonly eventsUrl: string;
  readonly prefix: string;
  stop(): Promise<void>;
}

export async function startSlackPipeline(options: { mode: 'socket' | 'events'; socketModeUrl?: string }): Promise<SlackPipeline> {
  const slack = await SlackWebApiStub.start({ C0ENG: 'engineering', C0RANDOM: 'random' });
  slack.socketModeUrl = options.socketModeUrl;
  const llm = await ScriptedLlm.start({ fallback: echo });
  const database = await createTestDatabase('slack');
  const prefix = uniqueBusPrefix('slack');
  const config = parseConfigText(slackConfigText(slack.apiUrl, llm.baseUrl, options.mode), 'slack-e2e.json5', {});
  const common = { config, databaseUrl: database.url, subjectPrefix: prefix, logger: false };
  const apps: (INestApplicationContext | INestApplication)[] = [];
  apps.push(await startAuthz(common));
  apps.push(await startAgent(common));
  const gateway = await startGateway({ ...common, port: 0 });
  apps.push(gateway);
  const store = await EventStore.connect({ databaseUrl: database.url });
  return {
    slack,
    llm,
    database,
    store,
    eventsUrl: `${gatewayUrl(gateway)}/slack/events`,
    prefix,
    async stop() {
      for (const app of apps.reverse()) await app.close();
      await store.close();
      await llm.close();
      await slack.close();
      await deleteBusStreams(prefix);
      await database.drop();
    },
  };
}
