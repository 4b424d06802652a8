import { createServer } from 'node:net';

/**
 * A loopback TCP port that was free a moment ago and has no listener now: for a server to start on, or for a
 * connection that must be refused.
 */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
