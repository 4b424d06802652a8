#!/usr/bin/env node
import { Command } from 'commander';
import { EXIT } from './exit-codes.js';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded on demand: `clawgate start agent` must not load the sandbox's Docker client, nor
 * `clawgate config check` the event store. Loading every command cost each service ~30 MB of RSS.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  config: async () => (await import('./commands/config.command.js')).registerConfigCommand,
  migrate: async () => (await import('./commands/migrate.command.js')).registerMigrateCommand,
  audit: async () => (await import('./commands/audit.command.js')).registerAuditCommand,
  doctor: async () => (await import('./commands/doctor.command.js')).registerDoctorCommand,
  policy: async () => (await import('./commands/policy.command.js')).registerPolicyCommand,
  sandbox: async () => (await import('./commands/sandbox.command.js')).registerSandboxCommand,
  sessions: async () => (await import('./commands/sessions.command.js')).registerSessionsCommand,
  replay: async () => (await import('./commands/replay.command.js')).registerReplayCommand,
  start: async () => (await import('./commands/start.command.js')).registerStartCommand,
};

/**
 * The command the command line starts with alone; every command for help (`clawgate -h start` lists them all),
 * no command or an unknown one.
 */
async function commandsFor(args: readonly string[]): Promise<Register[]> {
  const named = args[0];
  const names = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  return Promise.all(names.map((name) => COMMANDS[name]!()));
}

const program = new Command('clawgate')
  .description('Clawgate: an AI assistant gateway with allowlists, tool permissions, sandboxes and an audit log')
  .showHelpAfterError()
  .exitOverride((error) => {
    // Commander's own usage errors (unknown flag, missing argument) are bad input, like a bad config file.
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.badInput);
  });

for (const register of await commandsFor(process.argv.slice(2))) register(program);

await program.parseAsync(process.argv);
