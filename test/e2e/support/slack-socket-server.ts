import { type AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * Test code playing Slack's Socket Mode server on 127.0.0.1: says `hello` to the app that connects, sends it
 * envelopes, and collects its acknowledgements (`{ envelope_id }`).
 */
export class SlackSocketServer {
  readonly acked: string[] = [];
  private socket: WebSocket | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (socket) => {
      this.socket = socket;
      socket.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString('utf8')) as { envelope_id?: unknown };
        if (typeof frame.envelope_id === 'string') this.acked.push(frame.envelope_id);
        this.wake();
      });
      socket.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'clawgate-test' }, connection_info: { app_id: 'A0TEST' } }));
      this.wake();
    });
  }

  static async start(): Promise<SlackSocketServer> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new SlackSocketServer(server);
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/link/?ticket=test`;
  }

  connected(): Promise<void> {
    return this.until(() => this.socket?.readyState === WebSocket.OPEN);
  }

  /** Sends an Events API envelope; resolves once the app acknowledged it. */
  async sendEvent(envelopeId: string, payload: object, retryAttempt = 0): Promise<void> {
    await this.connected();
    this.socket?.send(JSON.stringify({ envelope_id: envelopeId, type: 'events_api', payload, accepts_response_payload: false, retry_attempt: retryAttempt, retry_reason: retryAttempt > 0 ? 'timeout' : '' }));
    await this.until(() => this.acked.includes(envelopeId));
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Resolves once `condition` holds, checked on every frame and connection. */
  private until(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }
}
