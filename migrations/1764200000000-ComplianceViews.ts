import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The compliance views (docs/compliance.md): the event store rendered as the article's audit lines and as
 * tables a compliance officer queries with SQL. They are owned by `clawgate_owner` and run with its rights, so
 * `clawgate_auditor` reads them without any right on the event tables; `clawgate_app` cannot read them at all.
 *
 * Whether message text and tool input/output appear is not the views' to decide: `audit_settings` holds
 * `logging.auditLog.includeMessages` / `includeTools` as `clawgate migrate --config` or `clawgate start` last
 * wrote them, and every view reads it. When a setting is off, the views show only lengths and SHA-256 hashes.
 */
export class ComplianceViews1764200000000 implements MigrationInterface {
  name = 'ComplianceViews1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_settings (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        -- The config's defaults: message text is left out, tool calls are kept.
        include_messages boolean NOT NULL DEFAULT false,
        include_tools boolean NOT NULL DEFAULT true,
        retention_days integer,
        source text NOT NULL DEFAULT 'defaults',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`INSERT INTO audit_settings DEFAULT VALUES`);
    await queryRunner.query(`ALTER TABLE audit_settings OWNER TO clawgate_owner`);
    // `clawgate start` may run as the application role and records the config it started with.
    await queryRunner.query(`GRANT SELECT, UPDATE ON audit_settings TO clawgate_app`);

    // The views join every event to the inbound message it answers (its correlation id).
    await queryRunner.query(`CREATE INDEX es_events_correlation_idx ON es_events ((metadata->>'correlationId'))`);
    await queryRunner.query(`CREATE INDEX es_events_type_idx ON es_events (type, recorded_at)`);

    await queryRunner.query(`
      CREATE VIEW compliance.settings AS
      SELECT include_messages, include_tools, retention_days, source, updated_at FROM public.audit_settings`);

    // Who sent the message an event belongs to; rejected messages included (they have no session).
    await queryRunner.query(`
      CREATE VIEW compliance.inbound AS
      SELECT e.data->>'messageId' AS correlation_id,
             e.data->'user'->>'id' AS user_id,
             e.data->>'channel' AS channel,
             e.data->>'account' AS account,
             e.recorded_at AS received_at,
             CASE WHEN e.stream_id LIKE 'session:%' THEN 'agent:' || substr(e.stream_id, 9) END AS session_id,
             CASE WHEN e.stream_id LIKE 'session:%' THEN split_part(e.stream_id, ':', 2) END AS agent_id
      FROM public.es_events e
      WHERE e.type = 'MessageReceived'`);

    await queryRunner.query(`
      CREATE VIEW compliance.tool_calls AS
      WITH s AS (SELECT * FROM public.audit_settings LIMIT 1),
      requested AS (
        SELECT e.data->>'toolCallId' AS tool_call_id, e.recorded_at, e.data, e.metadata,
               CASE WHEN jsonb_typeof(e.data->'input') = 'object' AND e.data->'input' ? 'command' THEN e.data->'input'->>'command'
                    WHEN jsonb_typeof(e.data->'input') = 'object' AND e.data->'input' ? 'file_path' THEN e.data->'input'->>'file_path'
                    WHEN jsonb_typeof(e.data->'input') = 'object' AND e.data->'input' ? 'pattern' THEN e.data->'input'->>'pattern'
                    ELSE (e.data->'input')::text END AS command
        FROM public.es_events e WHERE e.type = 'ToolCallRequested'),
      decided AS (
        SELECT e.data->>'toolCallId' AS tool_call_id, e.type, e.recorded_at, e.data
        FROM public.es_events e WHERE e.type IN ('ToolCallAuthorized', 'ToolCallDenied')),
      finished AS (
        SELECT e.data->>'toolCallId' AS tool_call_id, e.type, e.recorded_at,
               CASE WHEN e.type = 'ToolCallExecuted' THEN e.data ELSE coalesce(e.data->'outcome', '{}'::jsonb) END AS outcome,
               e.data AS data
        FROM public.es_events e WHERE e.type IN ('ToolCallExecuted', 'ToolCallFailed'))
      SELECT r.recorded_at AS requested_at,
             i.user_id, i.channel,
             r.data->>'agentId' AS agent_id,
             r.data->>'sessionKey' AS session_id,
             r.tool_call_id,
             r.data->>'tool' AS tool,
             CASE WHEN s.include_tools THEN r.command END AS command,
             CASE WHEN s.include_tools THEN r.data->'input' END AS input,
             length(r.command) AS command_length,
             encode(sha256(convert_to(r.command, 'UTF8')), 'hex') AS command_sha256,
             CASE d.type WHEN 'ToolCallAuthorized' THEN 'allowed' WHEN 'ToolCallDenied' THEN 'denied' END AS decision,
             d.data->>'rule' AS rule,
             d.data->>'reason' AS reason,
             d.recorded_at AS decided_at,
             CASE f.type WHEN 'ToolCallExecuted' THEN 'executed' WHEN 'ToolCallFailed' THEN 'failed' END AS execution,
             (f.outcome->>'exitCode')::integer AS exit_code,
             CASE WHEN s.include_tools THEN f.outcome->>'stdout' END AS stdout,
             CASE WHEN s.include_tools THEN f.outcome->>'stderr' END AS stderr,
             (f.outcome->>'stdoutLength')::integer AS stdout_length,
             (f.outcome->>'stderrLength')::integer AS stderr_length,
             encode(sha256(convert_to(f.outcome->>'stdout', 'UTF8')), 'hex') AS stdout_sha256,
             (f.outcome->>'durationMs')::numeric AS duration_ms,
             f.data->>'code' AS error_code,
             f.data->>'error' AS error,
             f.data->>'containerId' AS container_id,
             f.recorded_at AS finished_at,
             CASE WHEN d.type = 'ToolCallDenied' THEN 'denied'
                  WHEN f.type = 'ToolCallFailed' THEN 'failed'
                  WHEN f.type = 'ToolCallExecuted' AND (f.outcome->>'exitCode') = '0' THEN 'ok'
                  WHEN f.type = 'ToolCallExecuted' THEN coalesce('exit ' || (f.outcome->>'exitCode'), 'killed')
                  ELSE 'pending' END AS result,
             r.metadata->>'correlationId' AS correlation_id,
             split_part(r.metadata->>'traceparent', '-', 2) AS trace_id
      FROM requested r
      CROSS JOIN s
      LEFT JOIN decided d ON d.tool_call_id = r.tool_call_id
      LEFT JOIN finished f ON f.tool_call_id = r.tool_call_id
      LEFT JOIN compliance.inbound i ON i.correlation_id = r.metadata->>'correlationId'`);

    await queryRunner.query(`
      CREATE VIEW compliance.messages AS
      WITH s AS (SELECT * FROM public.audit_settings LIMIT 1)
      SELECT e.recorded_at AS timestamp,
             CASE e.type WHEN 'MessageReceived' THEN 'in' ELSE 'out' END AS direction,
             i.user_id, i.channel,
             coalesce(i.agent_id, split_part(e.stream_id, ':', 2)) AS agent_id,
             CASE WHEN e.stream_id LIKE 'session:%' THEN 'agent:' || substr(e.stream_id, 9) END AS session_id,
             CASE WHEN s.include_messages THEN e.data->>'text' END AS text,
             length(e.data->>'text') AS text_length,
             encode(sha256(convert_to(e.data->>'text', 'UTF8')), 'hex') AS text_sha256,
             e.stream_id LIKE 'rejected:%' AS rejected,
             e.metadata->>'correlationId' AS correlation_id,
             split_part(e.metadata->>'traceparent', '-', 2) AS trace_id
      FROM public.es_events e
      CROSS JOIN s
      LEFT JOIN compliance.inbound i ON i.correlation_id = e.metadata->>'correlationId'
      WHERE e.type IN ('MessageReceived', 'ReplyProduced')`);

    await queryRunner.query(`
      CREATE VIEW compliance.access_denials AS
      SELECT e.recorded_at AS timestamp, 'message' AS kind, i.user_id, i.channel,
             NULL::text AS agent_id, NULL::text AS session_id, NULL::text AS tool_call_id,
             NULL::text AS tool, NULL::text AS command, NULL::text AS rule,
             e.data->>'reason' AS reason, e.data->>'detail' AS detail,
             e.metadata->>'correlationId' AS correlation_id,
             split_part(e.metadata->>'traceparent', '-', 2) AS trace_id
      FROM public.es_events e
      LEFT JOIN compliance.inbound i ON i.correlation_id = e.metadata->>'correlationId'
      WHERE e.type = 'MessageRejected'
      UNION ALL
      SELECT t.decided_at, 'tool', t.user_id, t.channel, t.agent_id, t.session_id, t.tool_call_id,
             t.tool, t.command, t.rule, coalesce(t.rule, 'no rule matched'), t.reason, t.correlation_id, t.trace_id
      FROM compliance.tool_calls t
      WHERE t.decision = 'denied'
      UNION ALL
      -- The sandbox's own refusals after the policy allowed the call (a symlink out of the allowed paths).
      SELECT t.finished_at, 'sandbox', t.user_id, t.channel, t.agent_id, t.session_id, t.tool_call_id,
             t.tool, t.command, t.rule, t.error_code, t.error, t.correlation_id, t.trace_id
      FROM compliance.tool_calls t
      WHERE t.error_code IN ('PATH_DENIED', 'NOT_AUTHORIZED')`);

    await queryRunner.query(`
      CREATE VIEW compliance.audit_log AS
      SELECT e.recorded_at AS timestamp,
             coalesce(i.user_id, CASE WHEN e.type = 'AdminActionPerformed' THEN e.metadata->'actor'->>'id' END) AS user_id,
             coalesce(i.channel, CASE WHEN e.type = 'AdminActionPerformed' THEN 'cli' END) AS channel,
             CASE e.type
               WHEN 'MessageReceived' THEN 'message'
               WHEN 'MessageRejected' THEN 'rejected'
               WHEN 'LlmCallCompleted' THEN 'model_call'
               WHEN 'ReplyProduced' THEN 'reply'
               WHEN 'ReplyDeliveryFailed' THEN 'delivery_failed'
               WHEN 'RunFailed' THEN 'run_failed'
               WHEN 'AdminActionPerformed' THEN 'admin'
             END AS action,
             CASE WHEN e.type = 'LlmCallCompleted' THEN e.data->>'model' END AS model,
             CASE WHEN e.type = 'LlmCallCompleted' THEN (e.data->>'inputTokens')::integer END AS input_tokens,
             CASE WHEN e.type = 'LlmCallCompleted' THEN (e.data->>'outputTokens')::integer END AS output_tokens,
             NULL::text AS tool,
             CASE WHEN e.type = 'AdminActionPerformed' THEN e.data->>'what' END AS command,
             CASE e.type
               WHEN 'MessageReceived' THEN CASE WHEN e.stream_id LIKE 'rejected:%' THEN 'rejected' ELSE 'ok' END
               WHEN 'MessageRejected' THEN e.data->>'reason'
               WHEN 'LlmCallCompleted' THEN e.data->>'finishReason'
               WHEN 'ReplyDeliveryFailed' THEN e.data->>'reason'
               WHEN 'RunFailed' THEN e.data->>'stage'
               ELSE 'ok'
             END AS result,
             coalesce(i.agent_id, CASE WHEN e.stream_id LIKE 'session:%' THEN split_part(e.stream_id, ':', 2) END) AS agent_id,
             CASE WHEN e.stream_id LIKE 'session:%' THEN 'agent:' || substr(e.stream_id, 9) END AS session_id,
             e.metadata->>'correlationId' AS correlation_id,
             split_part(e.metadata->>'traceparent', '-', 2) AS trace_id,
             e.global_position
      FROM public.es_events e
      LEFT JOIN compliance.inbound i ON i.correlation_id = e.metadata->>'correlationId'
      WHERE e.type IN ('MessageReceived', 'MessageRejected', 'LlmCallCompleted', 'ReplyProduced', 'ReplyDeliveryFailed', 'RunFailed', 'AdminActionPerformed')
      UNION ALL
      SELECT t.requested_at, t.user_id, t.channel, 'tool', NULL, NULL, NULL, t.tool, t.command, t.result,
             t.agent_id, t.session_id, t.correlation_id, t.trace_id,
             (SELECT e.global_position FROM public.es_events e WHERE e.stream_id = 'toolcall:' || t.tool_call_id AND e.stream_version = 1)
      FROM compliance.tool_calls t`);

    await queryRunner.query(`
      CREATE VIEW compliance.usage_daily AS
      SELECT (e.recorded_at AT TIME ZONE 'UTC')::date AS day,
             i.user_id, i.channel,
             split_part(e.stream_id, ':', 2) AS agent_id,
             e.data->>'provider' AS provider,
             e.data->>'model' AS model,
             count(*)::integer AS model_calls,
             count(DISTINCT e.metadata->>'correlationId')::integer AS messages,
             sum((e.data->>'inputTokens')::bigint)::bigint AS input_tokens,
             sum((e.data->>'outputTokens')::bigint)::bigint AS output_tokens
      FROM public.es_events e
      LEFT JOIN compliance.inbound i ON i.correlation_id = e.metadata->>'correlationId'
      WHERE e.type = 'LlmCallCompleted'
      GROUP BY 1, 2, 3, 4, 5, 6`);

    for (const view of ['settings', 'inbound', 'tool_calls', 'messages', 'access_denials', 'audit_log', 'usage_daily']) {
      await queryRunner.query(`ALTER VIEW compliance.${view} OWNER TO clawgate_owner`);
      await queryRunner.query(`REVOKE ALL ON compliance.${view} FROM PUBLIC`);
      await queryRunner.query(`GRANT SELECT ON compliance.${view} TO clawgate_auditor`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const view of ['usage_daily', 'audit_log', 'access_denials', 'messages', 'tool_calls', 'inbound', 'settings']) {
      await queryRunner.query(`DROP VIEW compliance.${view}`);
    }
    await queryRunner.query(`DROP INDEX es_events_type_idx`);
    await queryRunner.query(`DROP INDEX es_events_correlation_idx`);
    await queryRunner.query(`DROP TABLE audit_settings`);
  }
}
