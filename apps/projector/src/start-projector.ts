import 'reflect-metadata';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { type ServiceStartOptions, startServiceContext } from '#lifecycle';
import { ProjectorModule, type ProjectorModuleOptions } from './projector.module.js';
import { ProjectorService } from './projector.service.js';

/**
 * Starts the projector; resolves once its subscription runs. If a batch fails, the subscription ends (the
 * batch rolled back): the error is logged, the application closes and the process exit code is 1, so a
 * supervisor restarts it, as with bus consumers.
 */
export async function startProjector(options: ProjectorModuleOptions & ServiceStartOptions = {}): Promise<INestApplicationContext> {
  const app = await startServiceContext((opened) => ProjectorModule.forRoot({ ...options, opened }), options);
  void app.get(ProjectorService).closed.then(async (error) => {
    if (!error) return;
    new Logger('Projector').error(`subscription failed, stopping: ${error.message}`);
    process.exitCode = 1;
    await app.close();
  });
  return app;
}
