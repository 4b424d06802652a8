import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startOrRelease } from '#lifecycle';
import { AgentModule, type AgentModuleOptions } from './agent.module.js';

/** Starts the agent service; resolves once it consumes runs. */
export async function startAgent(options: AgentModuleOptions & { logger?: boolean; shutdownHooks?: boolean }): Promise<INestApplicationContext> {
  // A failed start (a factory or a bootstrap hook threw) closes the connections its module had opened.
  const app = await startOrRelease((opened) =>
    NestFactory.createApplicationContext(AgentModule.forRoot({ ...options, opened }), {
      logger: options.logger === false ? false : ['log', 'warn', 'error'],
      abortOnError: false,
    }),
  );
  // Off when several services share a process: `clawgate start all` stops them together.
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  return app;
}
