import { lookup } from 'node:dns/promises';
import { type Command } from 'commander';
import { type ResolvedConfig } from '#config';
import { loadConfigOrReport } from '../config-input.js';
import { createPolicyEngine } from '#policy';
import { providerHostNames, runDoctorChecks, type CheckResult, type DoctorFacts } from '../doctor/doctor-checks.js';
import { EXIT } from '../exit-codes.js';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description("the compliance checklist on a config: PASS / WARN / FAIL with the fix for each (exit 0, 1 on any FAIL, 2 bad config)")
    .option('--config <file>', 'configuration file (default: $CLAWGATE_CONFIG)')
    .option('--json', 'one JSON object: every check and a summary')
    .action(async (options: { config?: string; json?: boolean }) => {
      const config = loadConfigOrReport(options.config);
      if (!config) return;
      const checks = runDoctorChecks(config, await createPolicyEngine(), await gatherFacts(config));
      const summary = { pass: count(checks, 'PASS'), warn: count(checks, 'WARN'), fail: count(checks, 'FAIL') };
      if (summary.fail > 0) process.exitCode = EXIT.failed;
      if (options.json) {
        console.log(JSON.stringify({ config: config.source, checks, summary }));
        return;
      }
      console.log(`clawgate doctor: ${config.source}`);
      for (const check of checks) {
        console.log(`${check.status.padEnd(4)}  ${check.id}: ${check.title}`);
        for (const finding of check.findings) console.log(`        ${finding}`);
        if (check.fix) console.log(`        fix: ${check.fix}`);
      }
      console.log(`${summary.pass} passed, ${summary.warn} warnings, ${summary.fail} failed`);
    });
}

function count(checks: CheckResult[], status: CheckResult['status']): number {
  return checks.filter((check) => check.status === status).length;
}

async function gatherFacts(config: ResolvedConfig): Promise<DoctorFacts> {
  const hosts = providerHostNames(config);
  const answers = await Promise.all(
    hosts.map(async (host): Promise<[string, { addresses: string[] } | { error: string }]> => {
      try {
        return [host, { addresses: (await lookup(host, { all: true })).map((entry) => entry.address) }];
      } catch (error) {
        return [host, { error: (error as NodeJS.ErrnoException).code ?? String(error) }];
      }
    }),
  );
  return { resolved: new Map(answers) };
}
