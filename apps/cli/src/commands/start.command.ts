import { type Command } from 'commander';
import { ConfigError, formatProblems, loadConfig } from '#config';
import { EXIT } from '../exit-codes.js';

const SERVICES = ['authz', 'projector'] as const;

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(`run one service in the foreground (${SERVICES.join(', ')}); SIGINT/SIGTERM stop it cleanly`)
    .argument('<service>', `the service: ${SERVICES.join(', ')}`)
    .option('--config <file>', 'configuration file (default: $CLAWGATE_CONFIG)')
    .action(async (service: string, options: { config?: string }) => {
      if (!(SERVICES as readonly string[]).includes(service)) {
        console.error(`unknown service "${service}": choose one of ${SERVICES.join(', ')}`);
        process.exitCode = EXIT.badInput;
        return;
      }
      if (service === 'projector') {
        // The projector reads only the event store: it needs no configuration file.
        const { startProjector } = await import('../../../projector/src/start-projector.js');
        await startProjector({ databaseUrl: process.env.DATABASE_URL });
        return;
      }
      let config;
      try {
        config = loadConfig({ file: options.config });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(`${error.source}: invalid configuration\n${formatProblems(error.problems)}`);
        process.exitCode = EXIT.badInput;
        return;
      }
      // Loaded only here: the other commands should not pay for Nest and the service's dependencies.
      const { startAuthz } = await import('../../../authz/src/start-authz.js');
      await startAuthz({ config, databaseUrl: process.env.DATABASE_URL, natsUrl: process.env.NATS_URL, subjectPrefix: process.env.CLAWGATE_SUBJECT_PREFIX });
    });
}
