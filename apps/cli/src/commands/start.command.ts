import { type Command } from 'commander';
import { findAgent, type ResolvedConfig } from '#config';
import { LOG_LEVEL_ENV, LogLevelError, parseLogLevel, type ServiceLogLevel } from '#lifecycle/log-level';
import { loadConfigOrReport } from '../config-input.js';
import { EXIT } from '../exit-codes.js';
import { loadNestCommon } from './load-nest.js';
import { describeRuntimeDefaults, execWithRuntimeDefaults, RUNTIME_DEFAULTS_ENV, RuntimeDefaultsError } from './service-runtime.js';

interface Running {
  close(): Promise<unknown>;
  /** A line for the operator once it runs (e.g. the WebChat address). */
  banner?: string;
}

interface StartContext {
  config: ResolvedConfig;
  databaseUrl: string | undefined;
  natsUrl: string | undefined;
  subjectPrefix: string | undefined;
  agentId: string | undefined;
  logLevel: ServiceLogLevel;
}

/**
 * Every service, in start order: the consumers of a flow come up before its producers, so nothing waits on a
 * service that is not there yet. Each is loaded only when started, so other commands never pay for Nest.
 */
const SERVICES: Record<string, (context: StartContext) => Promise<Running>> = {
  // Reads only the event store and catches up from its checkpoint: nothing waits for it.
  projector: async (c) => {
    const { startProjector } = await import('../../../projector/src/start-projector.js');
    const audit = c.config.logging.auditLog;
    const auditFile = audit.enabled && audit.path ? { path: audit.path, includeMessages: audit.includeMessages, includeTools: audit.includeTools, rotateBytes: audit.rotateBytes } : undefined;
    return startProjector({ databaseUrl: c.databaseUrl, logLevel: c.logLevel, shutdownHooks: false, auditFile, digests: audit.digests });
  },
  authz: async (c) => {
    const { startAuthz } = await import('../../../authz/src/start-authz.js');
    return startAuthz({ config: c.config, databaseUrl: c.databaseUrl, natsUrl: c.natsUrl, subjectPrefix: c.subjectPrefix, logLevel: c.logLevel, shutdownHooks: false });
  },
  sandbox: async (c) => {
    const { startSandbox } = await import('../../../sandbox/src/start-sandbox.js');
    return startSandbox({ config: c.config, databaseUrl: c.databaseUrl, natsUrl: c.natsUrl, subjectPrefix: c.subjectPrefix, logLevel: c.logLevel, shutdownHooks: false });
  },
  agent: async (c) => {
    const { startAgent } = await import('../../../agent/src/start-agent.js');
    return startAgent({ config: c.config, databaseUrl: c.databaseUrl, natsUrl: c.natsUrl, subjectPrefix: c.subjectPrefix, agentId: c.agentId, logLevel: c.logLevel, shutdownHooks: false });
  },
  gateway: async (c) => {
    const { startGateway, gatewayUrl } = await import('../../../gateway/src/start-gateway.js');
    const app = await startGateway({ config: c.config, databaseUrl: c.databaseUrl, natsUrl: c.natsUrl, subjectPrefix: c.subjectPrefix, logLevel: c.logLevel, shutdownHooks: false });
    return { close: () => app.close(), banner: `WebChat at ${gatewayUrl(app)}/` };
  },
};

const ALL = 'all';

export function registerStartCommand(program: Command): void {
  const names = Object.keys(SERVICES);
  program
    .command('start')
    .description(`run services in the foreground: ${names.join(', ')}, or ${ALL} (migrations first); SIGINT/SIGTERM stop them cleanly`)
    .argument('[service]', `${names.join(', ')} or ${ALL}`, ALL)
    .option('--config <file>', 'configuration file (default: $CLAWGATE_CONFIG)')
    .option('--agent <id>', 'agent service only: serve this one agent (a worker per employee)')
    .option('--no-migrate', `with ${ALL}: do not apply migrations first`)
    .addHelpText(
      'after',
      `\nEach service runs with ${describeRuntimeDefaults()} unless\n` +
        `NODE_OPTIONS, the node command line or the environment set them; ${RUNTIME_DEFAULTS_ENV}=off runs Node as started.\n` +
        `${LOG_LEVEL_ENV}=error|warn|info|debug sets what the services log (default info; debug adds a line per authorized message).`,
    )
    .action(async (service: string, options: { config?: string; agent?: string; migrate: boolean }) => {
      try {
        execWithRuntimeDefaults(service);
      } catch (error) {
        if (error instanceof RuntimeDefaultsError) return badInput(error.message);
        throw error;
      }
      if (service !== ALL && !(service in SERVICES)) {
        return badInput(`unknown service "${service}": choose one of ${[...names, ALL].join(', ')}`);
      }
      if (options.agent !== undefined && service !== 'agent') return badInput('--agent applies to the agent service only');
      let logLevel: ServiceLogLevel;
      try {
        logLevel = parseLogLevel(process.env[LOG_LEVEL_ENV]);
      } catch (error) {
        if (error instanceof LogLevelError) return badInput(error.message);
        throw error;
      }
      const config = loadConfigOrReport(options.config);
      if (!config) return;
      if (options.agent !== undefined && !findAgent(config, options.agent)) {
        return badInput(`--agent ${options.agent}: no such agent in ${config.source}`);
      }
      const context: StartContext = {
        config,
        databaseUrl: process.env.DATABASE_URL,
        natsUrl: process.env.NATS_URL,
        subjectPrefix: process.env.CLAWGATE_SUBJECT_PREFIX,
        agentId: options.agent,
        logLevel,
      };
      await loadNestCommon();

      const { startTelemetry } = await import('#telemetry');
      const telemetry = await startTelemetry(service === ALL ? 'clawgate' : `clawgate-${service}`);
      if (service === ALL && options.migrate) {
        const { runMigrations, databaseUrlFromEnv, redactDatabaseUrl } = await import('#event-store');
        const url = context.databaseUrl ?? databaseUrlFromEnv();
        const report = await runMigrations(url);
        console.log(`migrations: ${report.applied.length === 0 ? 'up to date' : `applied ${report.applied.join(', ')}`} (${redactDatabaseUrl(url)})`);
        const { recordAuditSettings } = await import('./migrate.command.js');
        await recordAuditSettings(url, config);
      }

      const running: Running[] = [];
      const stop = async (exitCode: number) => {
        for (const item of running.reverse()) await item.close().catch((error: unknown) => console.error(`while stopping: ${String(error)}`));
        await telemetry.shutdown();
        process.exit(exitCode);
      };
      process.once('SIGINT', () => void stop(EXIT.ok));
      process.once('SIGTERM', () => void stop(EXIT.ok));
      try {
        for (const name of service === ALL ? names : [service]) {
          const started = await SERVICES[name]!(context);
          running.push(started);
          console.log(`${name}: running${started.banner ? ` — ${started.banner}` : ''}`);
        }
      } catch (error) {
        console.error(`start failed: ${error instanceof Error ? error.message : String(error)}`);
        await stop(EXIT.failed);
      }
    });
}

function badInput(message: string): void {
  console.error(`start: ${message}`);
  process.exitCode = EXIT.badInput;
}
