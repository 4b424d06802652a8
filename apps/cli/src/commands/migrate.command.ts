import { type Command } from 'commander';
import { InvalidDatabaseUrlError, redactDatabaseUrl, runMigrations } from '#event-store';
import { EXIT } from '../exit-codes.js';
import { chosenDatabaseUrl, DATABASE_URL_OPTION_HELP, printableError } from './database-options.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('create the database if needed, the roles and the event store; apply pending migrations (idempotent)')
    .option('--database-url <url>', DATABASE_URL_OPTION_HELP)
    .action(async (options: { databaseUrl?: string }) => {
      const databaseUrl = chosenDatabaseUrl(options);
      try {
        const report = await runMigrations(databaseUrl);
        console.log(`database ${report.database} (${redactDatabaseUrl(databaseUrl)})${report.createdDatabase ? ': created' : ''}`);
        if (report.applied.length === 0) console.log('schema up to date: no migration to apply');
        for (const name of report.applied) console.log(`applied ${name}`);
      } catch (error) {
        console.error(`migrate failed: ${printableError(error, databaseUrl)}`);
        process.exitCode = error instanceof InvalidDatabaseUrlError ? EXIT.badInput : EXIT.failed;
      }
    });
}
