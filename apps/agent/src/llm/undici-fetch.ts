import { Agent, EnvHttpProxyAgent, interceptors, request } from 'undici';

/**
 * Connections to the model servers, behaving as the global `fetch` does for the calls the agent makes:
 * keep-alive; redirects followed (credentials dropped when the origin changes); gzip, deflate and br answers
 * decoded; the `HTTP(S)_PROXY` / `NO_PROXY` variables honoured when `NODE_USE_ENV_PROXY` is set, as Node's
 * `fetch` does. No headers or body timeout of its own: the SDK's per-attempt timeout
 * (`LlmClientOptions.timeoutMs`) aborts the request, and only it decides how long a model may think. Idle
 * connections do not hold the process open.
 */
const timeouts = { headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 };
const modelServers = (/^(1|true)$/i.test(process.env.NODE_USE_ENV_PROXY ?? '') ? new EnvHttpProxyAgent(timeouts) : new Agent(timeouts)).compose(
  interceptors.redirect({ maxRedirections: 20 }),
  interceptors.decompress(),
);

/** Statuses whose `Response` must have no body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

type Fetch = typeof fetch;

/**
 * The `openai` SDK's transport: undici's `request` where the SDK would call the global `fetch`. Both are
 * undici; `request` skips the WHATWG Request and stream objects `fetch` builds for every call, which cost the
 * agent ~0.4 ms of CPU per model call on the benchmark machine (docs/benchmarks.md). The answer is read whole
 * (the agent does not stream) and handed to the SDK as a standard `Response`. A body that is not a string or
 * bytes (never sent by the calls the agent makes) goes through the global `fetch` unchanged.
 */
export const undiciFetch: Fetch = async (input, init) => {
  const body = init?.body;
  if (input instanceof Request || (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))) {
    return fetch(input, init);
  }
  // A Headers object is used as given (the caller's, built for this request), `accept-encoding` added to it.
  const headers = init?.headers instanceof Headers ? init.headers : new Headers(init?.headers);
  if (!headers.has('accept-encoding')) headers.set('accept-encoding', 'gzip, deflate, br');
  const response = await request(input instanceof URL ? input : String(input), {
    method: (init?.method ?? 'GET') as 'GET',
    headers: Object.fromEntries(headers),
    body: body ?? null,
    signal: init?.signal ?? undefined,
    dispatcher: modelServers,
  });
  const payload = await response.body.arrayBuffer();
  if (response.statusCode < 200 || response.statusCode > 599) {
    // A `Response` cannot carry it; the SDK reports this as a failed connection, with this message as the cause.
    throw new Error(`the server answered with HTTP status ${response.statusCode}, which is not a final answer`);
  }
  const answerHeaders = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) answerHeaders.append(name, one);
  }
  return new Response(NULL_BODY_STATUSES.has(response.statusCode) ? null : payload, { status: response.statusCode, headers: answerHeaders });
};
