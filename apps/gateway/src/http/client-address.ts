import { type IncomingMessage } from 'node:http';

/**
 * The address failed sign-ins are counted against: the TCP peer. `X-Forwarded-For` is not trusted, since any
 * client could set it to escape the throttle; behind a proxy all clients share the proxy's address.
 */
export function clientAddress(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}
