import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

/** One scripted answer of the stand-in model. */
export type ScriptedTurn =
  | { reply: string; finishReason?: 'stop' | 'length' }
  | { toolCalls: readonly { id?: string; name: string; arguments: unknown }[] }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer (the connection is closed when the server stops). */
  | { hang: true };

export interface RecordedLlmRequest {
  path: string;
  authorization: string | undefined;
  body: ChatCompletionRequestBody;
}

export interface ChatCompletionRequestBody {
  model: string;
  messages: { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }[];
  tools?: unknown[];
  [key: string]: unknown;
}

export interface ScriptedLlmOptions {
  /** Answers in order; when they run out, `fallback` answers (default: a short reply echoing the last user text). */
  script?: ScriptedTurn[];
  fallback?: (request: ChatCompletionRequestBody) => ScriptedTurn;
  /** Token counts reported in `usage` (per call). */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/**
 * The one stand-in the tests use: an OpenAI-compatible HTTP server on 127.0.0.1 with scripted answers. It
 * speaks the wire protocol (`POST /v1/chat/completions`, `GET /v1/models`), so the code under test goes
 * through the real `openai` SDK, its retries and its error handling.
 */
export class ScriptedLlm {
  readonly requests: RecordedLlmRequest[] = [];
  private readonly script: ScriptedTurn[];
  private readonly hanging = new Set<ServerResponse>();
  private completionCounter = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: ScriptedLlmOptions,
  ) {
    this.script = [...(options.script ?? [])];
  }

  static async start(options: ScriptedLlmOptions = {}): Promise<ScriptedLlm> {
    const server = createServer();
    const llm = new ScriptedLlm(server, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void llm.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return llm;
  }

  /** The `baseUrl` to put in a provider's config (`…/v1`). */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** Adds answers to the end of the script. */
  enqueue(...turns: ScriptedTurn[]): void {
    this.script.push(...turns);
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0]!;
    if (request.method === 'GET' && path === '/v1/models') {
      return send(response, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', created: 0, owned_by: 'tests' }] });
    }
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      return send(response, 404, { error: { message: `no route for ${request.method} ${path}`, type: 'invalid_request_error' } });
    }
    let body: ChatCompletionRequestBody;
    try {
      body = JSON.parse(await readBody(request)) as ChatCompletionRequestBody;
    } catch {
      return send(response, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
    }
    this.requests.push({ path, authorization: request.headers.authorization, body });
    const turn = this.script.shift() ?? (this.options.fallback ?? echo)(body);
    if ('hang' in turn) {
      this.hanging.add(response);
      response.on('close', () => this.hanging.delete(response));
      return;
    }
    if ('status' in turn) {
      return send(response, turn.status, turn.body ?? { error: { message: `scripted status ${turn.status}`, type: 'server_error' } }, turn.headers);
    }
    this.completionCounter += 1;
    const usage = this.options.usage ?? { prompt_tokens: 10, completion_tokens: 5 };
    const message =
      'reply' in turn
        ? { role: 'assistant', content: turn.reply }
        : {
            role: 'assistant',
            content: null,
            tool_calls: turn.toolCalls.map((call, index) => ({
              id: call.id ?? `call_${this.completionCounter}_${index}`,
              type: 'function',
              function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
            })),
          };
    return send(response, 200, {
      id: `chatcmpl-${this.completionCounter}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message, finish_reason: 'reply' in turn ? (turn.finishReason ?? 'stop') : 'tool_calls' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  }
}

function echo(request: ChatCompletionRequestBody): ScriptedTurn {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  return { reply: `You said: ${typeof lastUser?.content === 'string' ? lastUser.content : ''}` };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
