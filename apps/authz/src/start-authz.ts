import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startOrRelease } from '#lifecycle';
import { AuthzModule, type AuthzModuleOptions } from './authz.module.js';

/** Starts the authz service; resolves once it consumes inbound messages and answers tool-call requests. */
export async function startAuthz(options: AuthzModuleOptions & { logger?: boolean; shutdownHooks?: boolean }): Promise<INestApplicationContext> {
  // A failed start (a factory or a bootstrap hook threw) closes the connections its module had opened.
  const app = await startOrRelease((opened) =>
    NestFactory.createApplicationContext(AuthzModule.forRoot({ ...options, opened }), {
      logger: options.logger === false ? false : ['log', 'warn', 'error'],
      abortOnError: false,
    }),
  );
  // Off when several services share a process: `clawgate start all` stops them together.
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  return app;
}
