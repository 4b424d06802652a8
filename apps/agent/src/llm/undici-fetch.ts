import { Agent, request } from 'undici';

/**
 * Keep-alive connections to the model servers. No headers or body timeout of its own: the SDK's per-attempt
 * timeout (`LlmClientOptions.timeoutMs`) aborts the request, and only it decides how long a model may think.
 * Idle connections do not hold the process open.
 */
const modelServers = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 });

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
  const response = await request(input instanceof URL ? input : String(input), {
    method: (init?.method ?? 'GET') as 'GET',
    headers: init?.headers === undefined ? undefined : Object.fromEntries(new Headers(init.headers)),
    body: body ?? null,
    signal: init?.signal ?? undefined,
    dispatcher: modelServers,
  });
  const payload = await response.body.arrayBuffer();
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  // A 204/304 may carry no body in a Response.
  const empty = response.statusCode === 204 || response.statusCode === 304;
  return new Response(empty ? null : payload, { status: response.statusCode, headers });
};
