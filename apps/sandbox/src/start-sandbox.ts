import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startOrRelease } from '#lifecycle';
import { SandboxModule, type SandboxModuleOptions } from './sandbox.module.js';

/** Starts the sandbox service; resolves once it answers tool-call requests. */
export async function startSandbox(options: SandboxModuleOptions & { logger?: boolean; shutdownHooks?: boolean }): Promise<INestApplicationContext> {
  // A failed start (a factory or a bootstrap hook threw) closes the connections its module had opened.
  const app = await startOrRelease((opened) =>
    NestFactory.createApplicationContext(SandboxModule.forRoot({ ...options, opened }), {
      logger: options.logger === false ? false : ['log', 'warn', 'error'],
      abortOnError: false,
    }),
  );
  // Off when several services share a process: `clawgate start all` stops them together.
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  return app;
}
