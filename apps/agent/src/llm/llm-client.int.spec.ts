import assert from 'node:assert/strict';
import http from 'node:http';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { type ResolvedProvider } from '#config';
import { ScriptedLlm, unusedPort } from '#testing';
import { chooseModel, LlmCallError, LlmClient, ModelChoiceError, probeProviders } from './llm-client.js';

const API_KEY = 'sk-test-very-secret-0123456789';
const fastRetry = { 'retry-after-ms': '1' };

function provider(baseUrl: string, overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return { name: 'intranet', type: 'openai-compatible', baseUrl, apiKey: API_KEY, models: ['llama3.1:70b'], ...overrides };
}

describe('LlmClient against an OpenAI-compatible server', () => {
  let llm: ScriptedLlm;
  before(async () => {
    llm = await ScriptedLlm.start({ usage: { prompt_tokens: 42, completion_tokens: 7 } });
  });
  after(() => llm.close());

  it('sends the model, the messages and the API key, and returns the answer with its token counts', async () => {
    llm.enqueue({ reply: 'Hello from the intranet' });
    const client = new LlmClient({ provider: provider(llm.baseUrl), model: 'llama3.1:70b' });
    const completion = await client.complete([{ role: 'user', content: 'hi' }]);
    assert.equal(completion.message.content, 'Hello from the intranet');
    assert.deepEqual(completion.usage, { inputTokens: 42, outputTokens: 7 });
    assert.equal(completion.provider, 'intranet');
    assert.equal(completion.finishReason, 'stop');
    assert.equal(completion.attempts, 1);
    const request = llm.requests.at(-1)!;
    assert.equal(request.body.model, 'llama3.1:70b');
    assert.deepEqual(request.body.messages, [{ role: 'user', content: 'hi' }]);
    assert.equal(request.authorization, `Bearer ${API_KEY}`);
  });

  it('returns the tool calls the model asks for', async () => {
    llm.enqueue({ toolCalls: [{ id: 'call_a', name: 'Bash', arguments: { command: 'ls /workspace' } }] });
    const client = new LlmClient({ provider: provider(llm.baseUrl), model: 'llama3.1:70b' });
    const completion = await client.complete([{ role: 'user', content: 'list files' }], [
      { type: 'function', function: { name: 'Bash', parameters: { type: 'object', properties: { command: { type: 'string' } } } } },
    ]);
    assert.equal(completion.finishReason, 'tool_calls');
    assert.deepEqual(completion.message.toolCalls, [{ id: 'call_a', name: 'Bash', arguments: '{"command":"ls /workspace"}' }]);
    assert.equal((llm.requests.at(-1)!.body.tools ?? []).length, 1);
  });

  it('retries server errors and rate limits with backoff, then succeeds', async () => {
    const before = llm.requests.length;
    llm.enqueue({ status: 503, headers: fastRetry }, { status: 429, headers: fastRetry }, { reply: 'third time lucky' });
    const client = new LlmClient({ provider: provider(llm.baseUrl), model: 'm' }, { maxRetries: 3 });
    const completion = await client.complete([{ role: 'user', content: 'hi' }]);
    assert.equal(completion.message.content, 'third time lucky');
    assert.equal(completion.attempts, 3);
    assert.equal(llm.requests.length - before, 3);
  });

  it('gives up after its retries with an error naming the provider and baseUrl, never the key', async () => {
    const before = llm.requests.length;
    llm.enqueue(...Array.from({ length: 3 }, () => ({ status: 500, headers: fastRetry, body: { error: { message: `echo ${API_KEY}` } } })));
    const client = new LlmClient({ provider: provider(llm.baseUrl), model: 'm' }, { maxRetries: 2 });
    const error = await client.complete([{ role: 'user', content: 'hi' }]).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof LlmCallError);
    assert.equal(error.kind, 'server_error');
    assert.equal(error.status, 500);
    assert.match(error.message, /provider "intranet" at http:\/\/127\.0\.0\.1:\d+\/v1: server error \(HTTP 500\) after 3 attempts/);
    assert.ok(!error.message.includes(API_KEY));
    assert.equal(llm.requests.length - before, 3);
  });

  it('does not retry a refused key, and says to check the apiKey', async () => {
    const before = llm.requests.length;
    llm.enqueue({ status: 401, body: { error: { message: 'bad key', type: 'invalid_request_error' } } });
    const client = new LlmClient({ provider: provider(llm.baseUrl), model: 'm' });
    await assert.rejects(client.complete([{ role: 'user', content: 'hi' }]), (e: unknown) => {
      assert.ok(e instanceof LlmCallError);
      assert.equal(e.kind, 'rejected');
      assert.match(e.message, /HTTP 401.*providers\[\]\.apiKey/);
      return true;
    });
    assert.equal(llm.requests.length - before, 1);
  });

  it('reports a provider that cannot be reached with its baseUrl and what to check', async () => {
    const baseUrl = `http://127.0.0.1:${await unusedPort()}/v1`;
    const client = new LlmClient({ provider: provider(baseUrl), model: 'm' }, { maxRetries: 1 });
    await assert.rejects(client.complete([{ role: 'user', content: 'hi' }]), (e: unknown) => {
      assert.ok(e instanceof LlmCallError);
      assert.equal(e.kind, 'unreachable');
      assert.equal(e.message, `provider "intranet" at ${baseUrl}: cannot be reached after 2 attempts; check that the server is running and that providers[].baseUrl is right`);
      return true;
    });
  });

  it('follows a redirect of its baseUrl and reads a compressed answer, as fetch would', async () => {
    const answer = { id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'moved and zipped' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } };
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? 'no key'}`);
      req.resume();
      req.on('end', () => {
        if (req.url?.startsWith('/old/')) {
          res.writeHead(307, { location: req.url.slice('/old'.length) }).end();
          return;
        }
        // Compresses whenever the client allows it, as a proxy in front of a model server may.
        const gzip = /gzip/.test(String(req.headers['accept-encoding']));
        res.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
        res.end(gzip ? gzipSync(JSON.stringify(answer)) : JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const client = new LlmClient({ provider: provider(`${origin}/old/v1`), model: 'm' }, { maxRetries: 0 });
      const completion = await client.complete([{ role: 'user', content: 'hi' }]);
      assert.equal(completion.message.content, 'moved and zipped');
      assert.deepEqual(seen, [`POST /old/v1/chat/completions Bearer ${API_KEY}`, `POST /v1/chat/completions Bearer ${API_KEY}`]);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('gives up on a server that accepts the request and never answers, after its timeout, as a timeout', async () => {
    const silent = createServer((socket) => socket.on('data', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}/v1`;
    try {
      const client = new LlmClient({ provider: provider(baseUrl), model: 'm' }, { maxRetries: 1, timeoutMs: 300 });
      const started = performance.now();
      await assert.rejects(client.complete([{ role: 'user', content: 'hi' }]), (e: unknown) => {
        assert.ok(e instanceof LlmCallError);
        assert.equal(e.kind, 'timeout');
        assert.match(e.message, /^provider "intranet" at http:\/\/127\.0\.0\.1:\d+\/v1: no answer in time after 2 attempts/);
        return true;
      });
      assert.ok(performance.now() - started >= 600, 'each of the 2 attempts waited its 300 ms');
    } finally {
      silent.close();
      silent.unref();
    }
  });
});

describe('chooseModel', () => {
  const providers = [provider('http://a/v1', { name: 'a', models: ['a1', 'a2'] }), provider('http://b/v1', { name: 'b', models: ['b1'] })];
  const config = { providers, defaultProvider: 'a', defaultModel: 'a2' };

  it('uses the default provider and model when the agent names none', () => {
    const choice = chooseModel(config, { id: 'x', provider: undefined, model: undefined });
    assert.deepEqual([choice.provider.name, choice.model], ['a', 'a2']);
  });

  it("uses the agent's provider with its first model, or the agent's model", () => {
    assert.equal(chooseModel(config, { id: 'x', provider: 'b', model: undefined }).model, 'b1');
    assert.equal(chooseModel(config, { id: 'x', provider: 'b', model: 'b-large' }).model, 'b-large');
  });

  it('refuses a provider that is not configured', () => {
    assert.throws(() => chooseModel(config, { id: 'x', provider: 'nope', model: undefined }), ModelChoiceError);
  });
});

describe('probeProviders', () => {
  it('names each provider that cannot be reached, with its baseUrl and what to do, and passes the ones that answer', async () => {
    const llm = await ScriptedLlm.start();
    try {
      const deadUrl = `http://127.0.0.1:${await unusedPort()}/v1`;
      const problems = await probeProviders([provider(llm.baseUrl, { name: 'up' }), provider(deadUrl, { name: 'down' })]);
      assert.deepEqual(problems, [`provider "down" at ${deadUrl} cannot be reached: check that the server is running and that providers[].baseUrl is right`]);
    } finally {
      await llm.close();
    }
  });
});
