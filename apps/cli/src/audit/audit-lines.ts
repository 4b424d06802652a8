/** One row of `compliance.audit_log` as the database returns it. */
export interface AuditLogRow {
  timestamp: Date;
  user_id: string | null;
  channel: string | null;
  action: string;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  tool: string | null;
  command: string | null;
  result: string | null;
  agent_id: string | null;
  session_id: string | null;
  correlation_id: string | null;
  trace_id: string | null;
}

export const AUDIT_LOG_COLUMNS = [
  'timestamp',
  'user_id',
  'channel',
  'action',
  'model',
  'input_tokens',
  'output_tokens',
  'tool',
  'command',
  'result',
  'agent_id',
  'session_id',
  'correlation_id',
  'trace_id',
] as const satisfies readonly (keyof AuditLogRow)[];

/**
 * The article's audit line (`{"timestamp", "userId", "channel", "action", "model", "tokens": {"input",
 * "output"}, "tool", "command", "result"}`) plus Clawgate's ids. Like the article's lines, a key without a
 * value is left out.
 */
export function auditJsonLine(row: AuditLogRow): string {
  const line: Record<string, unknown> = {
    timestamp: row.timestamp.toISOString(),
    userId: row.user_id,
    channel: row.channel,
    action: row.action,
    model: row.model,
    tokens: row.input_tokens === null && row.output_tokens === null ? null : { input: row.input_tokens, output: row.output_tokens },
    tool: row.tool,
    command: row.command,
    result: row.result,
    agentId: row.agent_id,
    sessionId: row.session_id,
    correlationId: row.correlation_id,
    traceId: row.trace_id,
  };
  return JSON.stringify(Object.fromEntries(Object.entries(line).filter(([, value]) => value !== null && value !== '')));
}

export function auditCsvHeader(): string {
  return AUDIT_LOG_COLUMNS.join(',');
}

export function auditCsvLine(row: AuditLogRow): string {
  return AUDIT_LOG_COLUMNS.map((column) => {
    const value = row[column];
    if (value === null) return '';
    return csvField(value instanceof Date ? value.toISOString() : String(value));
  }).join(',');
}

/**
 * RFC 4180 quoting. A field a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or
 * a carriage return; commands and messages are user input) gets a leading `'`, as OWASP advises for CSV files
 * people open in spreadsheets.
 */
export function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}
