import { type Command } from 'commander';
import { type ResolvedConfig } from '#config';
import { loadConfigOrReport } from '../config-input.js';
import { InvalidDatabaseUrlError, recordAdminAction, redactDatabaseUrl, runMigrations, writeAuditSettings } from '#event-store';
import { EXIT } from '../exit-codes.js';
import { chosenDatabaseUrl, DATABASE_URL_OPTION_HELP, printableError } from './database-options.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('create the database if needed, the roles and the event store; apply pending migrations (idempotent)')
    .option('--database-url <url>', DATABASE_URL_OPTION_HELP)
    .option('--config <file>', "also record the config's logging.auditLog settings the compliance views follow")
    .action(async (options: { databaseUrl?: string; config?: string }) => {
      const databaseUrl = chosenDatabaseUrl(options);
      let config: ResolvedConfig | undefined;
      if (options.config !== undefined) {
        config = loadConfigOrReport(options.config);
        if (!config) return;
      }
      try {
        const report = await runMigrations(databaseUrl);
        console.log(`database ${report.database} (${redactDatabaseUrl(databaseUrl)})${report.createdDatabase ? ': created' : ''}`);
        if (report.applied.length === 0) console.log('schema up to date: no migration to apply');
        for (const name of report.applied) console.log(`applied ${name}`);
        if (config) {
          await recordAuditSettings(databaseUrl, config);
          const { includeMessages, includeTools } = config.logging.auditLog;
          console.log(`compliance views: message text ${includeMessages ? 'shown' : 'hidden'}, tool input/output ${includeTools ? 'shown' : 'hidden'} (from ${config.source})`);
        }
      } catch (error) {
        console.error(`migrate failed: ${printableError(error, databaseUrl)}`);
        process.exitCode = error instanceof InvalidDatabaseUrlError ? EXIT.badInput : EXIT.failed;
      }
    });
}

/**
 * The compliance views show message text and tool input/output only as the config's `logging.auditLog` says.
 * A change of these settings is an admin action and is recorded as one.
 */
export async function recordAuditSettings(databaseUrl: string, config: ResolvedConfig): Promise<void> {
  const { includeMessages, includeTools, retentionDays } = config.logging.auditLog;
  const changed = await writeAuditSettings(databaseUrl, { includeMessages, includeTools, retentionDays, source: config.source });
  if (!changed) return;
  await recordAdminAction(databaseUrl, {
    what: `audit settings applied from ${config.source}: includeMessages ${includeMessages}, includeTools ${includeTools}, retentionDays ${retentionDays ?? 'unset'}`,
    command: 'config apply',
    arguments: { config: config.source, includeMessages, includeTools, retentionDays: retentionDays ?? null },
  });
}
