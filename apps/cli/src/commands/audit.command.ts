import { once } from 'node:events';
import { type Command } from 'commander';
import { EventStore, InvalidDatabaseUrlError, parseDatabaseUrl, type VerifyReport } from '#event-store';
import { BadAuditInput, parseAuditTime } from '../audit/audit-time.js';
import { exportAuditLog, type AuditExportFormat } from '../audit/export-audit-log.js';
import { EXIT } from '../exit-codes.js';
import { chosenDatabaseUrl, DATABASE_URL_OPTION_HELP, printableError } from './database-options.js';

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('check and export the audit log');

  audit
    .command('export')
    .description('write compliance.audit_log rows as JSON lines (the article\'s format) or CSV to stdout, progress on stderr (exit 0, 1 failed, 2 bad input)')
    .requiredOption('--since <time>', 'from this time on: 2026-11-01, 2026-11-01T09:30:00Z, or 7d / 12h / 30m back from now')
    .option('--until <time>', 'before this time (same forms)')
    .option('--user <id>', "only this platform user id's lines")
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--database-url <url>', `${DATABASE_URL_OPTION_HELP}; the auditor's login is enough`)
    .action(async (options: { since: string; until?: string; user?: string; format: string; databaseUrl?: string }) => {
      const databaseUrl = chosenDatabaseUrl(options);
      try {
        const now = new Date();
        const since = parseAuditTime('--since', options.since, now);
        const until = options.until === undefined ? undefined : parseAuditTime('--until', options.until, now);
        if (until && until <= since) throw new BadAuditInput(`--until ${until.toISOString()} is not after --since ${since.toISOString()}`);
        if (options.format !== 'jsonl' && options.format !== 'csv') throw new BadAuditInput(`--format must be jsonl or csv, not "${options.format}"`);
        if (options.user !== undefined && options.user.trim() === '') throw new BadAuditInput('--user needs a value');
        parseDatabaseUrl(databaseUrl);
        const format: AuditExportFormat = options.format;
        let lastReported = -1;
        const lines = await exportAuditLog(databaseUrl, { since, until, userId: options.user }, format, {
          write: async (line) => {
            if (!process.stdout.write(`${line}\n`)) await once(process.stdout, 'drain');
          },
          progress: (done, total) => {
            if (done === lastReported) return;
            lastReported = done;
            process.stderr.write(`audit export: ${done}/${total} lines\n`);
          },
        });
        const range = `${since.toISOString()} to ${until ? until.toISOString() : 'now'}`;
        process.stderr.write(`audit export: done, ${lines} lines from ${range}${options.user ? ` for user ${options.user}` : ''}\n`);
      } catch (error) {
        console.error(`audit export failed: ${printableError(error, databaseUrl)}`);
        process.exitCode = error instanceof BadAuditInput || error instanceof InvalidDatabaseUrlError ? EXIT.badInput : EXIT.failed;
      }
    });

  audit
    .command('verify')
    .description("recompute every stream's hash chain: exit 0 if all hold, 1 naming the first bad event of each stream")
    .option('--database-url <url>', DATABASE_URL_OPTION_HELP)
    .action(async (options: { databaseUrl?: string }) => {
      const databaseUrl = chosenDatabaseUrl(options);
      let report: VerifyReport;
      try {
        const store = await EventStore.connect({ databaseUrl, applicationName: 'clawgate-audit-verify', poolSize: 1 });
        try {
          report = await store.verify();
        } finally {
          await store.close();
        }
      } catch (error) {
        console.error(`audit verify failed: ${printableError(error, databaseUrl)}`);
        process.exitCode = error instanceof InvalidDatabaseUrlError ? EXIT.badInput : EXIT.failed;
        return;
      }
      if (report.ok) {
        console.log(`OK: ${report.eventsChecked} events in ${report.streamsChecked} streams, every hash chain intact`);
        return;
      }
      for (const failure of report.failures) {
        const event = failure.eventId ? `event ${failure.eventId} (global position ${failure.globalPosition})` : 'no event';
        console.log(`BROKEN stream ${failure.streamId} at version ${failure.streamVersion}: ${event}: ${failure.reason}`);
      }
      console.log(`${report.failures.length} of ${report.streamsChecked} streams broken (${report.eventsChecked} events checked)`);
      process.exitCode = EXIT.failed;
    });
}
