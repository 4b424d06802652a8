import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { type ServiceStartOptions, startServiceContext } from '#lifecycle';
import { AuthzModule, type AuthzModuleOptions } from './authz.module.js';

/** Starts the authz service; resolves once it consumes inbound messages and answers tool-call requests. */
export async function startAuthz(options: AuthzModuleOptions & ServiceStartOptions): Promise<INestApplicationContext> {
  return startServiceContext((opened) => AuthzModule.forRoot({ ...options, opened }), options);
}
