import { type Command } from 'commander';
import { EventStore, InvalidDatabaseUrlError, type VerifyReport } from '#event-store';
import { EXIT } from '../exit-codes.js';
import { chosenDatabaseUrl, DATABASE_URL_OPTION_HELP, printableError } from './database-options.js';

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('check the audit log');

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
