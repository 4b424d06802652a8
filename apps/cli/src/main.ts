#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command('clawgate')
  .description('Clawgate: an AI assistant gateway with allowlists, tool permissions, sandboxes and an audit log')
  .showHelpAfterError();

await program.parseAsync(process.argv);
