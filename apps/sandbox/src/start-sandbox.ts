import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { type ServiceStartOptions, startServiceContext } from '#lifecycle';
import { SandboxModule, type SandboxModuleOptions } from './sandbox.module.js';

/** Starts the sandbox service; resolves once it answers tool-call requests. */
export async function startSandbox(options: SandboxModuleOptions & ServiceStartOptions): Promise<INestApplicationContext> {
  return startServiceContext((opened) => SandboxModule.forRoot({ ...options, opened }), options);
}
