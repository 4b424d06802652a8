import 'reflect-metadata';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startOrRelease } from '#lifecycle';
import { ProjectorModule, type ProjectorModuleOptions } from './projector.module.js';
import { ProjectorService } from './projector.service.js';

/**
 * Starts the projector; resolves once its subscription runs. If a batch fails, the subscription ends (the
 * batch rolled back): the error is logged, the application closes and the process exit code is 1, so a
 * supervisor restarts it, as with bus consumers.
 */
export async function startProjector(options: ProjectorModuleOptions & { logger?: boolean; shutdownHooks?: boolean } = {}): Promise<INestApplicationContext> {
  // A failed start (a factory or a bootstrap hook threw) closes the connections its module had opened.
  const app = await startOrRelease((opened) =>
    NestFactory.createApplicationContext(ProjectorModule.forRoot({ ...options, opened }), {
      logger: options.logger === false ? false : ['log', 'warn', 'error'],
      abortOnError: false,
    }),
  );
  // Off when several services share a process: `clawgate start all` stops them together.
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  void app.get(ProjectorService).closed.then(async (error) => {
    if (!error) return;
    new Logger('Projector').error(`subscription failed, stopping: ${error.message}`);
    process.exitCode = 1;
    await app.close();
  });
  return app;
}
