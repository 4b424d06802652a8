import 'reflect-metadata';
import { type INestApplicationContext } from '@nestjs/common';
import { type ServiceStartOptions, startServiceContext } from '#lifecycle';
import { AgentModule, type AgentModuleOptions } from './agent.module.js';

/** Starts the agent service; resolves once it consumes runs. */
export async function startAgent(options: AgentModuleOptions & ServiceStartOptions): Promise<INestApplicationContext> {
  return startServiceContext((opened) => AgentModule.forRoot({ ...options, opened }), options);
}
