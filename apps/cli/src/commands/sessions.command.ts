import { type Command } from 'commander';
import pg from 'pg';
import { StreamIds, type RecordedEvent } from '#contracts';
import { EventStore, InvalidDatabaseUrlError, parseDatabaseUrl } from '#event-store';
import { type SessionSummary } from '../../../projector/src/sessions/session-summary.js';
import { SessionsRepository } from '../../../projector/src/sessions/sessions.repository.js';
import { EXIT } from '../exit-codes.js';
import { chosenDatabaseUrl, DATABASE_URL_OPTION_HELP, printableError } from './database-options.js';
import { buildTranscript, renderTranscript, toolCallIdsOf } from './session-transcript.js';

interface ListOptions {
  databaseUrl?: string;
  agent?: string;
  user?: string;
  limit?: string;
  json?: boolean;
}

interface ShowOptions {
  databaseUrl?: string;
  json?: boolean;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;
/** `agent:<agentId>:<channel>:<peer…>` (DESIGN.md §5); the peer may itself hold colons. */
const SESSION_KEY_PATTERN = /^agent:[^:]+:[^:]+:.+$/;

/** Thrown for input a person must fix; the command exits 2 with the message. */
class BadSessionsInput extends Error {}

export function registerSessionsCommand(program: Command): void {
  const sessions = program.command('sessions').description('conversations: the sessions read model and their transcripts');

  sessions
    .command('list')
    .description('the most recently active sessions, from the read model the projector keeps (exit 0, 1 failed, 2 bad input)')
    .option('--database-url <url>', DATABASE_URL_OPTION_HELP)
    .option('--agent <id>', 'only sessions of this agent')
    .option('--user <id>', 'only sessions of this platform user id')
    .option('--limit <n>', `at most n sessions, 1..${MAX_LIMIT} (default ${DEFAULT_LIMIT})`)
    .option('--json', 'one JSON object per line instead of a table')
    .action(async (options: ListOptions) => {
      const databaseUrl = chosenDatabaseUrl(options);
      let summaries: SessionSummary[];
      try {
        const filter = { agentId: nonEmpty('--agent', options.agent), userId: nonEmpty('--user', options.user), limit: parseLimit(options.limit) };
        parseDatabaseUrl(databaseUrl);
        summaries = await listSessions(databaseUrl, filter);
      } catch (error) {
        return fail('sessions list', error, databaseUrl);
      }
      if (options.json) {
        for (const summary of summaries) console.log(JSON.stringify(sessionJson(summary)));
        return;
      }
      for (const line of sessionsTable(summaries)) console.log(line);
    });

  sessions
    .command('show')
    .description('the transcript of one session from the event store: messages, model calls, tool calls with their decisions and results, replies (exit 1 if it does not exist, 2 bad input)')
    .argument('<sessionKey>', 'agent:<agentId>:<channel>:<peer>, as `sessions list` shows it')
    .option('--database-url <url>', DATABASE_URL_OPTION_HELP)
    .option('--json', 'one JSON object per transcript entry instead of text')
    .action(async (sessionKey: string, options: ShowOptions) => {
      const databaseUrl = chosenDatabaseUrl(options);
      let events: RecordedEvent[];
      let toolCalls: Map<string, RecordedEvent[]>;
      try {
        if (!SESSION_KEY_PATTERN.test(sessionKey)) throw new BadSessionsInput(`"${sessionKey}" is not a session key: expected agent:<agentId>:<channel>:<peer>`);
        ({ events, toolCalls } = await readSession(databaseUrl, sessionKey));
      } catch (error) {
        return fail('sessions show', error, databaseUrl);
      }
      if (events.length === 0) {
        console.error(`no session ${sessionKey}: its stream ${StreamIds.session(sessionKey)} has no events`);
        process.exitCode = EXIT.failed;
        return;
      }
      const entries = buildTranscript(events, toolCalls);
      if (options.json) {
        for (const entry of entries) console.log(JSON.stringify(entry));
        return;
      }
      console.log(`session ${sessionKey} (stream ${StreamIds.session(sessionKey)}, ${events.length} events)`);
      for (const line of renderTranscript(entries)) console.log(line);
    });
}

async function listSessions(databaseUrl: string, filter: { agentId?: string | undefined; userId?: string | undefined; limit: number }): Promise<SessionSummary[]> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'clawgate-sessions' });
  await client.connect();
  try {
    return await SessionsRepository.list({ query: async (sql, params) => (await client.query(sql, params)).rows }, filter);
  } catch (error) {
    if (error instanceof pg.DatabaseError && error.code === '42P01') {
      throw new Error(`database ${parseDatabaseUrl(databaseUrl).pathname.slice(1)} has no sessions read model: run "clawgate migrate" first`, { cause: error });
    }
    throw error;
  } finally {
    await client.end();
  }
}

async function readSession(databaseUrl: string, sessionKey: string): Promise<{ events: RecordedEvent[]; toolCalls: Map<string, RecordedEvent[]> }> {
  const store = await EventStore.connect({ databaseUrl, applicationName: 'clawgate-sessions', poolSize: 4 });
  try {
    const events = await store.readStream(StreamIds.session(sessionKey));
    const ids = toolCallIdsOf(events);
    const streams = await Promise.all(ids.map((id) => store.readStream(StreamIds.toolCall(id))));
    return { events, toolCalls: new Map(ids.map((id, index) => [id, streams[index]!])) };
  } finally {
    await store.close();
  }
}

function fail(command: string, error: unknown, databaseUrl: string): void {
  console.error(`${command} failed: ${printableError(error, databaseUrl)}`);
  process.exitCode = error instanceof BadSessionsInput || error instanceof InvalidDatabaseUrlError ? EXIT.badInput : EXIT.failed;
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new BadSessionsInput(`${flag} needs a value`);
  return value;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const limit = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new BadSessionsInput(`--limit must be a whole number from 1 to ${MAX_LIMIT}, not "${value}"`);
  return limit;
}

function sessionJson(summary: SessionSummary) {
  return {
    sessionKey: summary.sessionKey,
    agentId: summary.agentId,
    channel: summary.channel,
    account: summary.account,
    userId: summary.userId,
    messages: summary.messages,
    replies: summary.replies,
    failures: summary.failures,
    toolCalls: summary.toolCalls,
    inputTokens: summary.inputTokens,
    outputTokens: summary.outputTokens,
    lastActivity: summary.lastActivity.toISOString(),
  };
}

const TABLE_HEADER = ['SESSION', 'AGENT', 'CHANNEL', 'USER', 'MESSAGES', 'TOKENS IN', 'TOKENS OUT', 'LAST ACTIVITY'];

/** A table with a header, columns padded to their widest cell; numbers right-aligned. */
function sessionsTable(summaries: SessionSummary[]): string[] {
  if (summaries.length === 0) return ['no sessions'];
  const rows = summaries.map((s) => [
    s.sessionKey,
    s.agentId,
    s.channel,
    s.userId,
    String(s.messages),
    String(s.inputTokens),
    String(s.outputTokens),
    s.lastActivity.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  ]);
  const widths = TABLE_HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const numeric = (column: number) => column >= 4 && column <= 6;
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => (numeric(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [format(TABLE_HEADER), ...rows.map(format)];
}
