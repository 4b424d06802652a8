import { jetstreamManager, type ConsumerInfo, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_NATS_URL } from '../connection-settings.js';

/** A separate raw connection that lets the bus's own tests look at what the server stored. */
export class JetStreamInspector {
  private constructor(
    readonly connection: NatsConnection,
    readonly manager: JetStreamManager,
  ) {}

  static async open(): Promise<JetStreamInspector> {
    const connection = await connect({ servers: process.env.NATS_URL ?? DEFAULT_NATS_URL, name: 'bus-test-inspector' });
    return new JetStreamInspector(connection, await jetstreamManager(connection));
  }

  stream(name: string): Promise<StreamInfo> {
    return this.manager.streams.info(name);
  }

  consumer(stream: string, durable: string): Promise<ConsumerInfo> {
    return this.manager.consumers.info(stream, durable);
  }

  /** Publishes bytes as they are, bypassing the bus's JSON encoding. */
  async publishRaw(subject: string, data: string): Promise<void> {
    await this.manager.jetstream().publish(subject, data);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** Polls `condition` until it holds; fails with `what` if it does not within `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves once the durable has no message delivered-but-unacked and none waiting. */
export function waitUntilSettled(inspector: JetStreamInspector, stream: string, durable: string): Promise<void> {
  return waitFor(`${stream}/${durable} to have nothing pending`, async () => {
    const info = await inspector.consumer(stream, durable);
    return info.num_ack_pending === 0 && info.num_pending === 0;
  });
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
