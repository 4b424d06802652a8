import pg from 'pg';
import { auditCsvHeader, auditCsvLine, auditJsonLine, type AuditLogRow } from './audit-lines.js';

export interface AuditExportFilter {
  since: Date;
  until: Date | undefined;
  userId: string | undefined;
}

export type AuditExportFormat = 'jsonl' | 'csv';

export interface AuditExportIo {
  write(line: string): Promise<void>;
  progress(done: number, total: number): void;
}

const PAGE_ROWS = 1000;

const WHERE = `timestamp >= $1 AND ($2::timestamptz IS NULL OR timestamp < $2) AND ($3::text IS NULL OR user_id = $3)`;

/**
 * Streams `compliance.audit_log` rows in recorded order through a server-side cursor (one evaluation of the
 * view, a page at a time in memory). Reads only the view, so the auditor's login is enough.
 */
export async function exportAuditLog(databaseUrl: string, filter: AuditExportFilter, format: AuditExportFormat, io: AuditExportIo): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'clawgate-audit-export' });
  await client.connect();
  const params = [filter.since.toISOString(), filter.until?.toISOString() ?? null, filter.userId ?? null];
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const total = Number((await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM compliance.audit_log WHERE ${WHERE}`, params)).rows[0]!.n);
    await client.query(
      `DECLARE audit_export NO SCROLL CURSOR FOR
       SELECT timestamp, user_id, channel, action, model, input_tokens, output_tokens, tool, command, result,
              agent_id, session_id, correlation_id, trace_id
       FROM compliance.audit_log WHERE ${WHERE} ORDER BY global_position`,
      params,
    );
    if (format === 'csv') await io.write(auditCsvHeader());
    let done = 0;
    io.progress(done, total);
    for (;;) {
      const { rows } = await client.query<AuditLogRow>(`FETCH ${PAGE_ROWS} FROM audit_export`);
      if (rows.length === 0) break;
      for (const row of rows) await io.write(format === 'csv' ? auditCsvLine(row) : auditJsonLine(row));
      done += rows.length;
      io.progress(done, total);
    }
    await client.query('COMMIT');
    return done;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof pg.DatabaseError && error.code === '3F000') {
      throw new Error('the database has no compliance views: run "clawgate migrate" first', { cause: error });
    }
    throw error;
  } finally {
    await client.end();
  }
}
