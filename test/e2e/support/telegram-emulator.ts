import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { unusedPort } from '#testing';

/** A Bot API error the front answers instead of the emulator (a user who blocked the bot, a rate limit). */
export interface InjectedError {
  readonly error_code: number;
  readonly description: string;
  readonly parameters?: { readonly retry_after?: number };
}

export interface TelegramPerson {
  readonly userId: number;
  readonly firstName: string;
  /** The chat the person writes in: their private chat unless a group is given. */
  readonly chat?: { readonly id: number; readonly type: 'group' | 'supergroup' };
}

interface ServedUpdate {
  readonly update_id: number;
  readonly [field: string]: unknown;
}

/**
 * `telegram-test-api` (an independent Bot API emulator) behind a small front on 127.0.0.1 that adds what the
 * emulator leaves out and the adapter's guarantees depend on: `getUpdates` keeps serving an update until a later
 * call confirms it with `offset` (the emulator forgets an update once it handed it out), the same update can be
 * served again (a duplicate delivery), and a method can be made to fail (403, 429 with `retry_after`).
 * Bots get `apiRoot` = {@link apiRoot}; people write through the emulator's own client.
 */
export class TelegramEmulator {
  private readonly pending = new Map<string, ServedUpdate[]>();
  private readonly confirmed = new Map<string, ServedUpdate[]>();
  private readonly served = new Map<string, number>();
  private readonly failures = new Map<string, InjectedError[]>();
  private readonly calls = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly emulator: TelegramServer,
    private readonly front: Server,
  ) {}

  static async start(): Promise<TelegramEmulator> {
    // The emulator takes 0 for "use 9000", so it gets a port found free a moment ago.
    const emulator = new TelegramServer({ host: '127.0.0.1', port: await unusedPort(), storeTimeout: 3_600 });
    await emulator.start();
    // Requests arrive only after listen(), when `front` exists.
    const server = createServer((request, response) => {
      void front.handle(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    const front = new TelegramEmulator(emulator, server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return front;
  }

  /** What a bot's `channels.telegram.apiRoot` is set to. */
  get apiRoot(): string {
    const { port } = this.front.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** `person` writes `text` to the bot with `botToken`; resolves with the update's id. */
  async send(botToken: string, person: TelegramPerson, text: string): Promise<number> {
    const client = this.emulator.getClient(botToken, {
      userId: person.userId,
      firstName: person.firstName,
      userName: person.firstName.toLowerCase(),
      chatId: person.chat?.id ?? person.userId,
      type: person.chat?.type ?? 'private',
    });
    await client.sendMessage(client.makeMessage(text));
    const stored = this.emulator.storage.userMessages.at(-1);
    if (stored === undefined) throw new Error('the emulator did not store the message');
    this.wake();
    return stored.updateId;
  }

  /** The texts the bot sent to `chatId`, in order. */
  botTexts(botToken: string, chatId: number): string[] {
    return this.emulator.storage.botMessages
      .filter((stored) => stored.botToken === botToken && String(stored.message.chat_id) === String(chatId))
      .map((stored) => String(stored.message.text));
  }

  /** Resolves once the bot sent `count` messages to `chatId`. */
  async waitForBotTexts(botToken: string, chatId: number, count: number): Promise<string[]> {
    return this.until(() => {
      const texts = this.botTexts(botToken, chatId);
      return texts.length >= count ? texts : undefined;
    });
  }

  /** How many times `getUpdates` handed out the update with this id. */
  timesServed(botToken: string, updateId: number): number {
    return this.served.get(`${botToken}:${updateId}`) ?? 0;
  }

  /** The ids of the updates handed out to this bot, in order. */
  servedUpdateIds(botToken: string): number[] {
    return [...(this.confirmed.get(botToken) ?? []), ...(this.pending.get(botToken) ?? [])].map((update) => update.update_id);
  }

  /** True once a `getUpdates` confirmed the update (asked for an offset past it). */
  isConfirmed(botToken: string, updateId: number): boolean {
    return (this.confirmed.get(botToken) ?? []).some((update) => update.update_id === updateId);
  }

  /** Resolves once the update was handed out at least `times` times. */
  waitUntilServed(botToken: string, updateId: number, times = 1): Promise<void> {
    return this.until(() => (this.timesServed(botToken, updateId) >= times ? true : undefined)).then(() => undefined);
  }

  waitUntilConfirmed(botToken: string, updateId: number): Promise<void> {
    return this.until(() => (this.isConfirmed(botToken, updateId) ? true : undefined)).then(() => undefined);
  }

  /**
   * Telegram delivers an already confirmed update once more, as it does when the confirming `getUpdates` was
   * lost: the next poller, which starts without an offset, gets it again.
   */
  redeliver(botToken: string, updateId: number): void {
    const update = (this.confirmed.get(botToken) ?? []).find((candidate) => candidate.update_id === updateId);
    if (update === undefined) throw new Error(`update ${updateId} was not confirmed by the bot`);
    this.pendingOf(botToken).push(update);
    this.wake();
  }

  /** The next call of `method` by this bot fails with `error` instead of reaching the emulator. */
  failNext(botToken: string, method: string, error: InjectedError): void {
    const key = `${botToken}:${method}`;
    this.failures.set(key, [...(this.failures.get(key) ?? []), error]);
  }

  /** Calls of `method` by this bot so far, failed ones included. */
  callsOf(botToken: string, method: string): number {
    return this.calls.get(`${botToken}:${method}`) ?? 0;
  }

  async close(): Promise<void> {
    // A wait that never came true (a failed test) must not keep the process alive.
    for (const timer of this.timers) clearInterval(timer);
    this.waiters.clear();
    this.front.closeAllConnections();
    await new Promise<void>((resolve) => this.front.close(() => resolve()));
    await this.emulator.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(request.url ?? '');
    const body = await readBody(request);
    if (match === null) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
      return;
    }
    const [, token = '', method = ''] = match;
    const key = `${token}:${method}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    const failure = this.failures.get(key)?.shift();
    if (failure !== undefined) {
      response.writeHead(failure.error_code, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, ...failure }));
      this.wake();
      return;
    }
    if (method === 'getUpdates') {
      const result = await this.getUpdates(token, body);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
      this.wake();
      return;
    }
    const upstream = await fetch(`${this.emulator.config.apiURL}/bot${token}/${method}`, {
      method: 'POST',
      headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
      body,
    });
    response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    this.wake();
  }

  /** Confirms what lies before `offset`, collects the emulator's new updates, serves every unconfirmed one. */
  private async getUpdates(token: string, body: string): Promise<ServedUpdate[]> {
    const parameters = body === '' ? {} : (JSON.parse(body) as { offset?: number });
    const pending = this.pendingOf(token);
    if (parameters.offset !== undefined) {
      const offset = parameters.offset;
      const confirmed = pending.filter((update) => update.update_id < offset);
      this.confirmed.set(token, [...(this.confirmed.get(token) ?? []), ...confirmed]);
      this.pending.set(token, pending.filter((update) => update.update_id >= offset));
    }
    const upstream = await fetch(`${this.emulator.config.apiURL}/bot${token}/getUpdates`, { method: 'POST' });
    const fresh = ((await upstream.json()) as { result: ServedUpdate[] }).result;
    const unconfirmed = [...this.pendingOf(token), ...fresh];
    this.pending.set(token, unconfirmed);
    for (const update of unconfirmed) this.served.set(`${token}:${update.update_id}`, this.timesServed(token, update.update_id) + 1);
    return unconfirmed;
  }

  private pendingOf(token: string): ServedUpdate[] {
    let pending = this.pending.get(token);
    if (pending === undefined) {
      pending = [];
      this.pending.set(token, pending);
    }
    return pending;
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Resolves with the probe's first defined value, probing whenever the front or the emulator saw traffic. */
  private until<T>(probe: () => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        this.waiters.delete(check);
        clearInterval(timer);
        this.timers.delete(timer);
        resolve(value);
      };
      // The bot's sendMessage reaches the emulator through the front, so traffic wakes us; the interval covers
      // messages the emulator stored on its own.
      const timer = setInterval(check, 50);
      this.timers.add(timer);
      this.waiters.add(check);
      check();
    });
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
