import { type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type OpenedResources, startOrRelease } from './opened-resources.js';
import { type ServiceLogLevel } from './log-level.js';
import { serviceLogger } from './service-logger.js';

export interface ServiceStartOptions {
  /** `false`: no Nest log output (tests). */
  logger?: boolean;
  /** What the service logs (default `info`); the CLI takes it from `CLAWGATE_LOG_LEVEL`. */
  logLevel?: ServiceLogLevel | undefined;
  /** `false` when several services share a process: `clawgate start all` stops them together. */
  shutdownHooks?: boolean;
}

/**
 * Starts a service without an HTTP server (authz, agent, sandbox, projector): its module built with the
 * {@link OpenedResources} its factories register what they open in, so a failed start (a factory or a bootstrap
 * hook threw) closes those connections before it rethrows.
 */
export async function startServiceContext(module: (opened: OpenedResources) => DynamicModule, options: ServiceStartOptions): Promise<INestApplicationContext> {
  const app = await startOrRelease((opened) =>
    NestFactory.createApplicationContext(module(opened), { logger: serviceLogger(options.logger, options.logLevel), abortOnError: false }),
  );
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  return app;
}
