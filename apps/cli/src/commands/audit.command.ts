import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { type Command } from 'commander';
import { ConfigError, formatProblems, loadConfig, type ResolvedConfig } from '#config';
import {
  EventStore,
  InvalidDatabaseUrlError,
  loadSigningKey,
  loadVerifyKey,
  parseDatabaseUrl,
  pruneEvents,
  recordAdminAction,
  type CheckpointReport,
  type DigestReport,
  type VerifyReport,
} from '#event-store';
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
        const args = { since: since.toISOString(), until: until?.toISOString() ?? null, user: options.user ?? null, format };
        await recordAdminAction(databaseUrl, { what: describeCommand('audit export', args), command: 'audit export', arguments: args });
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
    .description(
      "recompute every stream's hash chain and, given the digest key, check the signed digests: exit 0 if all hold, 1 naming what was changed, deleted or reordered",
    )
    .option('--database-url <url>', DATABASE_URL_OPTION_HELP)
    .option('--public-key <file>', 'Ed25519 key (PEM, public or private) the digests are checked with')
    .option('--config <file>', "take the key from the config's logging.auditLog.digests.keyFile")
    .action(async (options: { databaseUrl?: string; publicKey?: string; config?: string }) => {
      const databaseUrl = chosenDatabaseUrl(options);
      let report: VerifyReport;
      let digests: DigestReport | undefined;
      let checkpoints: CheckpointReport | undefined;
      let uncheckedCheckpoints = 0;
      try {
        const keyFile = options.publicKey ?? (options.config === undefined ? undefined : digestKeyFileOf(options.config));
        const publicKey = keyFile === undefined ? undefined : loadVerifyKey(await readFile(keyFile, 'utf8'));
        const store = await EventStore.connect({ databaseUrl, applicationName: 'clawgate-audit-verify', poolSize: 1 });
        try {
          report = await store.verify();
          if (publicKey) {
            digests = await store.verifyDigests(publicKey);
            checkpoints = await store.verifyPruneCheckpoints(publicKey);
          } else {
            uncheckedCheckpoints = await store.pruneCheckpointCount();
          }
        } finally {
          await store.close();
        }
        // Recorded after the check, so that the report is about the store as it was when asked.
        const args = { publicKey: options.publicKey ?? null, config: options.config ?? null };
        await recordAdminAction(databaseUrl, { what: describeCommand('audit verify', args), command: 'audit verify', arguments: args });
      } catch (error) {
        console.error(`audit verify failed: ${printableError(error, databaseUrl)}`);
        process.exitCode = error instanceof InvalidDatabaseUrlError || error instanceof BadAuditInput ? EXIT.badInput : EXIT.failed;
        return;
      }
      if (report.ok) {
        const anchored = report.streamsAnchored > 0 ? ` (${report.streamsAnchored} of them start at a prune checkpoint's anchor)` : '';
        console.log(`OK: ${report.eventsChecked} events in ${report.streamsChecked} streams, every hash chain intact${anchored}`);
      } else {
        for (const failure of report.failures) {
          const event = failure.eventId ? `event ${failure.eventId} (global position ${failure.globalPosition})` : 'no event';
          console.log(`BROKEN stream ${failure.streamId} at version ${failure.streamVersion}: ${event}: ${failure.reason}`);
        }
        console.log(`${report.failures.length} of ${report.streamsChecked} streams broken (${report.eventsChecked} events checked)`);
        process.exitCode = EXIT.failed;
      }
      if (uncheckedCheckpoints > 0) {
        console.log(`NOTE: ${uncheckedCheckpoints} prune checkpoints not checked: give --public-key or --config to check their signatures`);
      }
      if (checkpoints) {
        for (const failure of checkpoints.failures) console.log(`BROKEN prune checkpoint ${failure.seq}: ${failure.problem}`);
        if (!checkpoints.ok) process.exitCode = EXIT.failed;
        else if (checkpoints.checkpointsChecked > 0) {
          console.log(`CHECKPOINTS OK: ${checkpoints.checkpointsChecked} signed prune checkpoints covering ${checkpoints.eventsPruned} pruned events`);
        }
      }
      if (!digests) return;
      for (const failure of digests.failures) console.log(`BROKEN digest ${failure.seq} (${failure.range}): ${failure.problem}`);
      const pending = digests.eventsPending > 0 ? `; ${digests.eventsPending} newer events not covered by a digest yet` : '';
      if (digests.ok) {
        console.log(`DIGESTS OK: ${digests.digestsChecked} signed digests covering ${digests.eventsCovered} events${pending}`);
      } else {
        console.log(`${digests.failures.length} digest problems in ${digests.digestsChecked} digests${pending}`);
        process.exitCode = EXIT.failed;
      }
    });

  audit
    .command('prune')
    .description(
      'owner only: export every event older than the retention to a new file (fsync\'d), then delete them in one transaction with a signed checkpoint (exit 0, 1 failed or refused, 2 bad input)',
    )
    .requiredOption('--export <file>', 'a new file the pruned events are written to first, as JSON lines (never overwritten)')
    .option('--older-than-days <n>', 'prune events recorded more than this many days ago (default: logging.auditLog.retentionDays)')
    .option('--config <file>', 'take the retention and the signing key (logging.auditLog.digests.keyFile) from this config')
    .option('--key-file <file>', 'Ed25519 private key (PEM) the checkpoint is signed with')
    .option('--database-url <url>', `${DATABASE_URL_OPTION_HELP}; must be clawgate_owner or a superuser`)
    .action(async (options: { export: string; olderThanDays?: string; config?: string; keyFile?: string; databaseUrl?: string }) => {
      const databaseUrl = chosenDatabaseUrl(options);
      try {
        parseDatabaseUrl(databaseUrl);
        const config = options.config === undefined ? undefined : configOf(options.config);
        const days = options.olderThanDays === undefined ? config?.logging.auditLog.retentionDays : parseDays(options.olderThanDays);
        if (days === undefined) throw new BadAuditInput('give --older-than-days, or --config with logging.auditLog.retentionDays');
        const keyFile = options.keyFile ?? config?.logging.auditLog.digests?.keyFile;
        if (keyFile === undefined) throw new BadAuditInput('give --key-file, or --config with logging.auditLog.digests.keyFile: the checkpoint must be signed');
        const key = loadSigningKey(await readFile(keyFile, 'utf8'));
        const cutoff = new Date(Date.now() - days * 86_400_000);
        const args = { olderThanDays: days, export: options.export, config: options.config ?? null, keyFile: options.keyFile ?? null };
        const result = await pruneEvents(databaseUrl, { cutoff, exportFile: options.export, key, command: { what: describeCommand('audit prune', args), arguments: args } });
        if (!result.checkpoint) {
          console.log(`nothing to prune: no event recorded before ${cutoff.toISOString()}`);
          return;
        }
        console.log(
          `pruned ${result.eventCount} events of ${result.streamCount} streams recorded before ${cutoff.toISOString()} ` +
            `(global positions ${result.checkpoint.fromGlobalPosition} to ${result.checkpoint.toGlobalPosition}); ` +
            `exported to ${options.export} (sha256 ${result.exportSha256}); signed checkpoint ${result.checkpoint.seq}`,
        );
      } catch (error) {
        const exists = error instanceof Error && 'code' in error && error.code === 'EEXIST';
        const message = exists ? `${options.export} exists: the export is never overwritten, choose a new file` : printableError(error, databaseUrl);
        console.error(`audit prune failed: ${message}`);
        // A refused prune (PruneRefusedError, or the database refusing the login) is a failure, not bad input.
        process.exitCode = error instanceof BadAuditInput || error instanceof InvalidDatabaseUrlError || exists ? EXIT.badInput : EXIT.failed;
      }
    });
}

function parseDays(value: string): number {
  const days = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(days) || days < 1) throw new BadAuditInput(`--older-than-days must be a whole number of days, at least 1, not "${value}"`);
  return days;
}

function configOf(configFile: string): ResolvedConfig {
  try {
    return loadConfig({ file: configFile });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new BadAuditInput(`${error.source}: invalid configuration\n${formatProblems(error.problems)}`);
  }
}

function digestKeyFileOf(configFile: string): string {
  const config = configOf(configFile);
  const keyFile = config.logging.auditLog.digests?.keyFile;
  if (!keyFile) throw new BadAuditInput(`${config.source} has no logging.auditLog.digests.keyFile: give --public-key`);
  return keyFile;
}

/** `audit export --since … --user …`: the command as a person would read it in the audit log. */
export function describeCommand(command: string, args: Record<string, string | number | boolean | null>): string {
  const flags = Object.entries(args)
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(value)}`);
  return [command, ...flags].join(' ');
}
