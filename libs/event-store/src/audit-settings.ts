import pg from 'pg';

/** What the compliance views may show, as `logging.auditLog` of the running config says (docs/compliance.md). */
export interface AuditSettings {
  includeMessages: boolean;
  includeTools: boolean;
  retentionDays: number | undefined;
  /** Where the values came from, e.g. the config file's path. */
  source: string;
}

/**
 * Records the audit settings in `audit_settings`, the one row the compliance views read to decide whether
 * message text and tool input/output appear. Written by `clawgate migrate --config` and `clawgate start`.
 * Returns whether they changed.
 */
export async function writeAuditSettings(databaseUrl: string, settings: AuditSettings): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'clawgate-audit-settings' });
  await client.connect();
  try {
    const result = await client.query(
      `UPDATE audit_settings SET include_messages = $1, include_tools = $2, retention_days = $3, source = $4, updated_at = now()
       WHERE (include_messages, include_tools, retention_days, source) IS DISTINCT FROM ($1, $2, $3::integer, $4)`,
      [settings.includeMessages, settings.includeTools, settings.retentionDays ?? null, settings.source],
    );
    return (result.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}
