import { type Command } from 'commander';
import { ConfigError, configJsonSchema, formatProblems, loadConfig, summarizeConfig } from '#config';
import { EXIT } from '../exit-codes.js';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('check the configuration file, print its JSON Schema');

  config
    .command('check')
    .description('validate a configuration file: exit 0 with a summary, or exit 2 with one line per problem')
    .option('--config <file>', 'configuration file (default: $CLAWGATE_CONFIG)')
    .action((options: { config?: string }) => {
      try {
        console.log(summarizeConfig(loadConfig({ file: options.config })));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(`${error.source}: invalid configuration`);
        console.error(formatProblems(error.problems));
        process.exitCode = EXIT.badInput;
      }
    });

  config
    .command('schema')
    .description('print the JSON Schema of the configuration file (for editor completion)')
    .action(() => {
      console.log(JSON.stringify(configJsonSchema(), null, 2));
    });
}
