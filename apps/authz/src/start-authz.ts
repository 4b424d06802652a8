import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthzModule, type AuthzModuleOptions } from './authz.module.js';

/** Starts the authz service; resolves once it consumes inbound messages and answers tool-call requests. */
export async function startAuthz(options: AuthzModuleOptions & { logger?: boolean }): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(AuthzModule.forRoot(options), {
    logger: options.logger === false ? false : ['log', 'warn', 'error'],
    abortOnError: false,
  });
  app.enableShutdownHooks();
  return app;
}
