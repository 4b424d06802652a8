import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface PostedMessage {
  readonly channel: string;
  readonly text: string;
  readonly thread_ts: string | undefined;
}

type Injected = { readonly rateLimitedSeconds: number } | { readonly error: string };

/**
 * Test code playing Slack's Web API on 127.0.0.1 (`channels.slack.apiUrl`): `auth.test`, `conversations.info`
 * from a table of channels, `chat.postMessage` recorded; a call can be made to answer 429 with `Retry-After` or a
 * platform error.
 */
export class SlackWebApiStub {
  readonly posted: PostedMessage[] = [];
  private readonly calls = new Map<string, number>();
  private readonly injected = new Map<string, Injected[]>();
  private sequence = 0;
  /** What `apps.connections.open` answers: the Socket Mode server the app token may connect to. */
  socketModeUrl: string | undefined;

  private constructor(
    private readonly server: Server,
    private readonly channels: ReadonlyMap<string, string>,
    readonly botUserId: string,
  ) {}

  static async start(channels: Record<string, string>, botUserId = 'UBOT01'): Promise<SlackWebApiStub> {
    const server = createServer((request, response) => {
      void stub.handle(request, response);
    });
    const stub = new SlackWebApiStub(server, new Map(Object.entries(channels)), botUserId);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get apiUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/`;
  }

  callsOf(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  failNext(method: string, failure: Injected): void {
    this.injected.set(method, [...(this.injected.get(method) ?? []), failure]);
  }

  postedTo(channel: string): PostedMessage[] {
    return this.posted.filter((message) => message.channel === channel);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = (request.url ?? '').replace(/^\/api\//, '').replace(/\?.*$/, '');
    this.calls.set(method, this.callsOf(method) + 1);
    const parameters = parseParameters(await readBody(request), request.headers['content-type']);
    const reply = (status: number, body: object, headers: Record<string, string> = {}) =>
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    const failure = this.injected.get(method)?.shift();
    if (failure !== undefined) {
      if ('rateLimitedSeconds' in failure) reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.rateLimitedSeconds) });
      else reply(200, { ok: false, error: failure.error });
      return;
    }
    switch (method) {
      case 'apps.connections.open':
        reply(200, this.socketModeUrl === undefined ? { ok: false, error: 'not_allowed_token_type' } : { ok: true, url: this.socketModeUrl });
        return;
      case 'auth.test':
        reply(200, { ok: true, user_id: this.botUserId, bot_id: 'B0BOT', team_id: 'T0001' });
        return;
      case 'conversations.info': {
        const name = this.channels.get(parameters.channel ?? '');
        reply(200, name === undefined ? { ok: false, error: 'channel_not_found' } : { ok: true, channel: { id: parameters.channel, name } });
        return;
      }
      case 'chat.postMessage': {
        this.sequence += 1;
        this.posted.push({ channel: parameters.channel ?? '', text: parameters.text ?? '', thread_ts: parameters.thread_ts });
        reply(200, { ok: true, channel: parameters.channel, ts: `1764040000.${String(this.sequence).padStart(6, '0')}` });
        return;
      }
      default:
        reply(200, { ok: false, error: 'unknown_method' });
    }
  }
}

function parseParameters(body: string, contentType: string | undefined): Record<string, string | undefined> {
  if (contentType?.includes('application/json')) {
    const json = JSON.parse(body || '{}') as Record<string, unknown>;
    return Object.fromEntries(Object.entries(json).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
