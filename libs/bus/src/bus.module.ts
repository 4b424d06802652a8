import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Bus, type BusOptions } from './bus.js';

/** Injection token of the {@link Bus}: `constructor(@Inject(BUS) private readonly bus: Bus)`. */
export const BUS = Symbol('clawgate.bus');

export interface BusModuleOptions extends BusOptions {
  /** Run `ensureStreams()` before the application starts. Default true. */
  readonly ensureStreams?: boolean;
}

@Injectable()
class BusShutdown implements OnApplicationShutdown {
  constructor(@Inject(BUS) private readonly bus: Bus) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

@Module({})
export class BusModule {
  /** Connects once for the whole application; consumers and services stop gracefully on shutdown. */
  static forRoot(options: BusModuleOptions = {}): DynamicModule {
    return {
      module: BusModule,
      global: true,
      providers: [
        {
          provide: BUS,
          useFactory: async (): Promise<Bus> => {
            const bus = await Bus.connect(options);
            if (options.ensureStreams ?? true) {
              try {
                await bus.ensureStreams();
              } catch (error) {
                await bus.close();
                throw error;
              }
            }
            return bus;
          },
        },
        BusShutdown,
      ],
      exports: [BUS],
    };
  }
}
