import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AgentModule, type AgentModuleOptions } from './agent.module.js';

/** Starts the agent service; resolves once it consumes runs. */
export async function startAgent(options: AgentModuleOptions & { logger?: boolean }): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(AgentModule.forRoot(options), {
    logger: options.logger === false ? false : ['log', 'warn', 'error'],
    abortOnError: false,
  });
  app.enableShutdownHooks();
  return app;
}
