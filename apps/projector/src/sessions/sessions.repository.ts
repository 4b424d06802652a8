import { type SubscriptionTransaction } from '#event-store';
import { type SessionSummary } from './session-summary.js';

/**
 * Anything that runs SQL and returns the rows: the subscription's transaction (the projector's writes commit
 * with its checkpoint) or a plain connection (`clawgate sessions list`).
 */
export type RowQueryable = SubscriptionTransaction;

export interface SessionListFilter {
  agentId?: string | undefined;
  userId?: string | undefined;
  limit: number;
}

/** A row of `rm_sessions` as `pg` returns it (bigints as strings). */
export type SessionRow = {
  session_key: string;
  agent_id: string;
  channel: string;
  account: string;
  user_id: string;
  messages: number;
  replies: number;
  failures: number;
  tool_calls: number;
  input_tokens: string;
  output_tokens: string;
  last_activity: Date;
  last_position: string;
};

const SESSION_COLUMNS = `session_key, agent_id, channel, account, user_id, messages, replies, failures, tool_calls,
  input_tokens::text AS input_tokens, output_tokens::text AS output_tokens, last_activity, last_position::text AS last_position`;

/** The only code that knows the SQL of `rm_sessions`. */
export const SessionsRepository = {
  async load(db: RowQueryable, sessionKeys: string[]): Promise<Map<string, SessionSummary>> {
    if (sessionKeys.length === 0) return new Map();
    const rows = await db.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM rm_sessions WHERE session_key = ANY($1::text[])`, [sessionKeys]);
    return new Map(rows.map((row) => [row.session_key, toSummary(row)]));
  },

  /** Inserts or replaces the given rows in one statement. */
  async save(db: RowQueryable, summaries: SessionSummary[]): Promise<void> {
    if (summaries.length === 0) return;
    const records = summaries.map((s) => ({
      session_key: s.sessionKey,
      agent_id: s.agentId,
      channel: s.channel,
      account: s.account,
      user_id: s.userId,
      messages: s.messages,
      replies: s.replies,
      failures: s.failures,
      tool_calls: s.toolCalls,
      input_tokens: s.inputTokens,
      output_tokens: s.outputTokens,
      last_activity: s.lastActivity.toISOString(),
      last_position: s.lastPosition,
    }));
    await db.query(
      `INSERT INTO rm_sessions (session_key, agent_id, channel, account, user_id, messages, replies, failures, tool_calls,
                                input_tokens, output_tokens, last_activity, last_position)
       SELECT session_key, agent_id, channel, account, user_id, messages, replies, failures, tool_calls,
              input_tokens, output_tokens, last_activity, last_position
       FROM jsonb_to_recordset($1::jsonb) AS r(session_key text, agent_id text, channel text, account text, user_id text,
            messages integer, replies integer, failures integer, tool_calls integer, input_tokens bigint, output_tokens bigint,
            last_activity timestamptz, last_position bigint)
       ON CONFLICT (session_key) DO UPDATE SET
         agent_id = EXCLUDED.agent_id, channel = EXCLUDED.channel, account = EXCLUDED.account, user_id = EXCLUDED.user_id,
         messages = EXCLUDED.messages, replies = EXCLUDED.replies, failures = EXCLUDED.failures, tool_calls = EXCLUDED.tool_calls,
         input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
         last_activity = EXCLUDED.last_activity, last_position = EXCLUDED.last_position`,
      [JSON.stringify(records)],
    );
  },

  /** The most recently active sessions first. */
  async list(db: RowQueryable, filter: SessionListFilter): Promise<SessionSummary[]> {
    const rows = await db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM rm_sessions
       WHERE ($1::text IS NULL OR agent_id = $1) AND ($2::text IS NULL OR user_id = $2)
       ORDER BY last_activity DESC, session_key
       LIMIT $3`,
      [filter.agentId ?? null, filter.userId ?? null, filter.limit],
    );
    return rows.map(toSummary);
  },
};

function toSummary(row: SessionRow): SessionSummary {
  return {
    sessionKey: row.session_key,
    agentId: row.agent_id,
    channel: row.channel,
    account: row.account,
    userId: row.user_id,
    messages: row.messages,
    replies: row.replies,
    failures: row.failures,
    toolCalls: row.tool_calls,
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    lastActivity: row.last_activity,
    lastPosition: row.last_position,
  };
}
