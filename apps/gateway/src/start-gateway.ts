import 'reflect-metadata';
import { type AddressInfo } from 'node:net';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { serviceLogger, type ServiceLogLevel } from '#lifecycle';
import { startTelemetry } from '#telemetry';
import { GatewayModule } from './gateway.module.js';
import { type GatewayModuleOptions } from './gateway-options.js';
import { GatewayExceptionFilter } from './http/gateway-exception.filter.js';

export interface StartGatewayOptions extends GatewayModuleOptions {
  /** Overrides `gateway.port`; 0 picks a free port (tests), read it back with {@link gatewayUrl}. */
  readonly port?: number | undefined;
  /** Overrides `gateway.bind`. */
  readonly bind?: string | undefined;
  readonly logger?: boolean | undefined;
  /** What the gateway logs (default `info`). */
  readonly logLevel?: ServiceLogLevel | undefined;
  /** Stop on SIGINT/SIGTERM by itself (default); `clawgate start all` handles the signals for every service. */
  readonly shutdownHooks?: boolean | undefined;
}

export class GatewayStartError extends Error {
  readonly code = 'GATEWAY_START_REFUSED';

  constructor(message: string) {
    super(message);
    this.name = 'GatewayStartError';
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Starts the gateway and resolves once it listens on `gateway.bind`:`gateway.port` and consumes replies.
 * `app.close()` stops it: sockets are told to reconnect, held replies go back to JetStream.
 */
export async function startGateway(options: StartGatewayOptions): Promise<INestApplication> {
  const bind = options.bind ?? options.config.gateway.bind;
  const port = options.port ?? options.config.gateway.port;
  if (!LOOPBACK.has(bind) && options.config.gateway.authToken === undefined) {
    throw new GatewayStartError(
      `refusing to listen on ${bind} without gateway.auth.token: set it (e.g. "\${CLAWGATE_GATEWAY_TOKEN}") or bind to 127.0.0.1`,
    );
  }
  await startTelemetry('clawgate-gateway');
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(options), {
    logger: serviceLogger(options.logger, options.logLevel),
    abortOnError: false,
    // Slack signs the exact bytes it sent; the signature is checked over them, not over re-encoded JSON.
    rawBody: true,
  });
  app.useGlobalFilters(new GatewayExceptionFilter());
  // 100 000 characters of text may take up to 400 kB in UTF-8; the field's own limit gives the clear message.
  app.useBodyParser('json', { limit: '512kb' });
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  try {
    await app.listen(port, bind);
  } catch (error) {
    // A port in use, a consumer that cannot be created: release the bus and the store before failing.
    await app.close();
    throw error;
  }
  return app;
}

/** `http://<address>:<port>` the gateway listens on (the port actually bound when 0 was asked for). */
export function gatewayUrl(app: INestApplication): string {
  const address = (app.getHttpServer() as { address(): AddressInfo | string | null }).address();
  if (address === null || typeof address === 'string') throw new Error('the gateway is not listening on a TCP port');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
