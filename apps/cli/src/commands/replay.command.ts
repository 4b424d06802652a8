import { type Command } from 'commander';
import pg from 'pg';
import { StreamIds, type RecordedEvent } from '#contracts';
import { EventStore, InvalidDatabaseUrlError, recordAdminAction } from '#event-store';
import { type SessionSummary } from '../../../projector/src/sessions/session-summary.js';
import { SessionsRepository } from '../../../projector/src/sessions/sessions.repository.js';
import { BadAuditInput, parseAuditTime } from '../audit/audit-time.js';
import { compareWithProjection, describeComparison, describeState, replaySession, withinLimit, type ReplayLimit } from '../audit/session-replay.js';
import { EXIT } from '../exit-codes.js';
import { describeCommand } from './audit.command.js';
import { chosenDatabaseUrl, DATABASE_URL_OPTION_HELP, printableError } from './database-options.js';
import { buildTranscript, renderTranscript, toolCallIdsOf, type TranscriptEntry } from './session-transcript.js';

const SESSION_KEY_PATTERN = /^agent:[^:]+:[^:]+:.+$/;

interface ReplayOptions {
  databaseUrl?: string;
  until?: string;
  json?: boolean;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      "fold a session's events again: transcript, tool calls, decisions and the resulting state, and whether the projection (rm_sessions) equals it (exit 0, 1 different or no such session, 2 bad input)",
    )
    .argument('<sessionKey>', 'agent:<agentId>:<channel>:<peer>')
    .option('--until <time|position>', 'stop at this global position (a number) or time (2026-11-01T09:30:00Z, 7d, …)')
    .option('--database-url <url>', DATABASE_URL_OPTION_HELP)
    .option('--json', 'one JSON object: transcript, state, comparison')
    .action(async (sessionKey: string, options: ReplayOptions) => {
      const databaseUrl = chosenDatabaseUrl(options);
      let events: RecordedEvent[];
      let toolCalls: Map<string, RecordedEvent[]>;
      let projected: SessionSummary | undefined;
      try {
        if (!SESSION_KEY_PATTERN.test(sessionKey)) throw new BadAuditInput(`"${sessionKey}" is not a session key: expected agent:<agentId>:<channel>:<peer>`);
        const limit = parseLimit(options.until);
        const args = { session: sessionKey, until: options.until ?? null };
        await recordAdminAction(databaseUrl, { what: describeCommand('replay', args), command: 'replay', arguments: args });
        ({ events, toolCalls, projected } = await readForReplay(databaseUrl, sessionKey, limit));
      } catch (error) {
        console.error(`replay failed: ${printableError(error, databaseUrl)}`);
        process.exitCode = error instanceof BadAuditInput || error instanceof InvalidDatabaseUrlError ? EXIT.badInput : EXIT.failed;
        return;
      }
      const state = replaySession(sessionKey, events);
      if (!state) {
        console.error(`no session ${sessionKey}${options.until ? ` up to ${options.until}` : ''}: its stream ${StreamIds.session(sessionKey)} has no message`);
        process.exitCode = EXIT.failed;
        return;
      }
      const transcript = buildTranscript(events, toolCalls);
      const comparison = compareWithProjection(state, projected);
      if (comparison.status === 'different') process.exitCode = EXIT.failed;
      if (options.json) {
        console.log(JSON.stringify({ sessionKey, events: events.length, transcript, state, toolCalls: toolCallCounts(transcript), projection: comparison }));
        return;
      }
      const last = events.at(-1)!;
      console.log(`replay of ${sessionKey}: ${events.length} events of stream ${StreamIds.session(sessionKey)}, up to position ${last.globalPosition} (${last.recordedAt.toISOString()})`);
      for (const line of renderTranscript(transcript)) console.log(line);
      const counts = toolCallCounts(transcript);
      console.log(
        `tool calls: ${counts.requested} (${counts.allowed} allowed, ${counts.denied} denied, ${counts.undecided} undecided; ${counts.executed} executed, ${counts.failed} failed)`,
      );
      for (const line of describeState(state)) console.log(line);
      for (const line of describeComparison(comparison)) console.log(line);
    });
}

function parseLimit(value: string | undefined): ReplayLimit | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return { kind: 'position', position: BigInt(value) };
  return { kind: 'time', time: parseAuditTime('--until', value, new Date()) };
}

async function readForReplay(
  databaseUrl: string,
  sessionKey: string,
  limit: ReplayLimit | undefined,
): Promise<{ events: RecordedEvent[]; toolCalls: Map<string, RecordedEvent[]>; projected: SessionSummary | undefined }> {
  const store = await EventStore.connect({ databaseUrl, applicationName: 'clawgate-replay', poolSize: 4 });
  let events: RecordedEvent[];
  let toolCalls: Map<string, RecordedEvent[]>;
  try {
    events = (await store.readStream(StreamIds.session(sessionKey))).filter((event) => withinLimit(event, limit));
    const ids = toolCallIdsOf(events);
    const streams = await Promise.all(ids.map((id) => store.readStream(StreamIds.toolCall(id))));
    toolCalls = new Map(ids.map((id, index) => [id, streams[index]!.filter((event) => withinLimit(event, limit))]));
  } finally {
    await store.close();
  }
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'clawgate-replay' });
  await client.connect();
  try {
    const rows = await SessionsRepository.load({ query: async (sql, params) => (await client.query(sql, params)).rows }, [sessionKey]);
    return { events, toolCalls, projected: rows.get(sessionKey) };
  } finally {
    await client.end();
  }
}

function toolCallCounts(transcript: TranscriptEntry[]) {
  const calls = transcript.flatMap((entry) => (entry.kind === 'model-call' ? entry.toolCalls : []));
  return {
    requested: calls.length,
    allowed: calls.filter((c) => c.decision?.outcome === 'allowed').length,
    denied: calls.filter((c) => c.decision?.outcome === 'denied').length,
    undecided: calls.filter((c) => !c.decision).length,
    executed: calls.filter((c) => c.execution?.status === 'executed').length,
    failed: calls.filter((c) => c.execution?.status === 'failed').length,
  };
}
