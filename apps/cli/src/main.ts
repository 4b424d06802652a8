#!/usr/bin/env node
import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit.command.js';
import { registerConfigCommand } from './commands/config.command.js';
import { registerDoctorCommand } from './commands/doctor.command.js';
import { registerMigrateCommand } from './commands/migrate.command.js';
import { registerPolicyCommand } from './commands/policy.command.js';
import { registerReplayCommand } from './commands/replay.command.js';
import { registerSandboxCommand } from './commands/sandbox.command.js';
import { registerSessionsCommand } from './commands/sessions.command.js';
import { registerStartCommand } from './commands/start.command.js';
import { EXIT } from './exit-codes.js';

const program = new Command('clawgate')
  .description('Clawgate: an AI assistant gateway with allowlists, tool permissions, sandboxes and an audit log')
  .showHelpAfterError()
  .exitOverride((error) => {
    // Commander's own usage errors (unknown flag, missing argument) are bad input, like a bad config file.
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.badInput);
  });

registerConfigCommand(program);
registerMigrateCommand(program);
registerAuditCommand(program);
registerDoctorCommand(program);
registerPolicyCommand(program);
registerSandboxCommand(program);
registerSessionsCommand(program);
registerReplayCommand(program);
registerStartCommand(program);

await program.parseAsync(process.argv);
