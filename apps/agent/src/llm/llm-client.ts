import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { type ResolvedAgent, type ResolvedConfig, type ResolvedProvider } from '#config';
import { undiciFetch } from './undici-fetch.js';

/** Which provider and model an agent talks to: its own choice, else the config's defaults. */
export interface ModelChoice {
  provider: ResolvedProvider;
  model: string;
}

export class ModelChoiceError extends Error {
  readonly code = 'MODEL_CHOICE';
}

export function chooseModel(config: Pick<ResolvedConfig, 'providers' | 'defaultProvider' | 'defaultModel'>, agent: Pick<ResolvedAgent, 'id' | 'provider' | 'model'>): ModelChoice {
  const providerName = agent.provider ?? config.defaultProvider ?? config.providers[0]?.name;
  if (!providerName) throw new ModelChoiceError(`agent "${agent.id}" has no provider: add providers[] and defaultProvider to the config`);
  const provider = config.providers.find((p) => p.name === providerName);
  if (!provider) throw new ModelChoiceError(`agent "${agent.id}" names provider "${providerName}", which is not in providers[]`);
  const model = agent.model ?? (providerName === config.defaultProvider ? config.defaultModel : undefined) ?? provider.models[0];
  if (!model) throw new ModelChoiceError(`agent "${agent.id}": provider "${provider.name}" lists no models and no model is set`);
  return { provider, model };
}

export interface LlmCompletion {
  provider: string;
  model: string;
  message: { content: string | null; toolCalls: { id: string; name: string; arguments: string }[] };
  finishReason: string;
  usage: { inputTokens: number; outputTokens: number };
  latencyMs: number;
  /** Attempts the SDK made, retries on 429/5xx/connection errors included. */
  attempts: number;
}

/**
 * Why a model call failed, in words an operator can act on: which provider, at which `baseUrl`, and what
 * to check. Never carries the API key or the provider's raw response body.
 */
export class LlmCallError extends Error {
  readonly code = 'LLM_CALL_FAILED';
  constructor(
    readonly provider: string,
    readonly baseUrl: string,
    readonly kind: 'unreachable' | 'timeout' | 'rate_limited' | 'server_error' | 'rejected',
    readonly status: number | undefined,
    detail: string,
  ) {
    super(`provider "${provider}" at ${baseUrl}: ${detail}`);
  }
}

export interface LlmClientOptions {
  /** Retries after the first attempt, with the SDK's exponential backoff (honours `retry-after`). Default 3. */
  maxRetries?: number;
  /** Per-attempt timeout. Default 120 s. */
  timeoutMs?: number;
}

const CALL_HEADER = 'x-clawgate-call';

/** Calls one OpenAI-compatible provider through the `openai` SDK. */
export class LlmClient {
  private readonly client: OpenAI;
  /** HTTP attempts per call in flight, keyed by the call's own header: the SDK retries inside one call. */
  private readonly attemptsByCall = new Map<string, number>();
  private callCounter = 0;

  constructor(
    private readonly choice: ModelChoice,
    options: LlmClientOptions = {},
  ) {
    this.client = new OpenAI({
      baseURL: choice.provider.baseUrl,
      // Ollama and most intranet servers need no key; the SDK insists on a string.
      apiKey: choice.provider.apiKey ?? 'none',
      maxRetries: options.maxRetries ?? 3,
      timeout: options.timeoutMs ?? 120_000,
      fetch: (url, init) => {
        // Built once here and handed on: the transport reuses a Headers object instead of copying it again.
        const headers = new Headers(init?.headers);
        const callId = headers.get(CALL_HEADER);
        if (callId) this.attemptsByCall.set(callId, (this.attemptsByCall.get(callId) ?? 0) + 1);
        return undiciFetch(url, { ...init, headers });
      },
    });
  }

  get providerName(): string {
    return this.choice.provider.name;
  }

  get model(): string {
    return this.choice.model;
  }

  async complete(messages: ChatCompletionMessageParam[], tools: ChatCompletionTool[] = []): Promise<LlmCompletion> {
    const started = performance.now();
    const callId = String((this.callCounter += 1));
    const attempts = () => this.attemptsByCall.get(callId) ?? 0;
    try {
      const completion = await this.client.chat.completions.create(
        { model: this.choice.model, messages, ...(tools.length > 0 ? { tools } : {}) },
        { headers: { [CALL_HEADER]: callId } },
      );
      const choice = completion.choices[0];
      if (!choice) throw new LlmCallError(this.choice.provider.name, this.choice.provider.baseUrl, 'rejected', undefined, 'the answer has no choices');
      const toolCalls = (choice.message.tool_calls ?? []).flatMap((call) =>
        call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
      );
      return {
        provider: this.choice.provider.name,
        model: completion.model || this.choice.model,
        message: { content: choice.message.content, toolCalls },
        finishReason: choice.finish_reason,
        usage: { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0 },
        latencyMs: performance.now() - started,
        attempts: attempts(),
      };
    } catch (error) {
      throw this.explain(error, attempts());
    } finally {
      this.attemptsByCall.delete(callId);
    }
  }

  private explain(error: unknown, attempts: number): unknown {
    if (error instanceof LlmCallError) return error;
    const { name, baseUrl } = this.choice.provider;
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    if (error instanceof APIConnectionTimeoutError) {
      return new LlmCallError(name, baseUrl, 'timeout', undefined, `no answer in time after ${tries}; check that the server is up and not overloaded`);
    }
    if (error instanceof APIConnectionError) {
      return new LlmCallError(name, baseUrl, 'unreachable', undefined, `cannot be reached after ${tries}; check that the server is running and that providers[].baseUrl is right`);
    }
    if (error instanceof APIError) {
      const status = error.status;
      if (status === 429) return new LlmCallError(name, baseUrl, 'rate_limited', status, `rate limited (HTTP 429) after ${tries}`);
      if (status !== undefined && status >= 500) return new LlmCallError(name, baseUrl, 'server_error', status, `server error (HTTP ${status}) after ${tries}`);
      const hint = status === 401 || status === 403 ? '; check providers[].apiKey' : status === 404 ? `; check that model "${this.choice.model}" exists there` : '';
      return new LlmCallError(name, baseUrl, 'rejected', status, `refused the request (HTTP ${status ?? '?'})${hint}`);
    }
    return error;
  }
}

/**
 * Asks every configured provider for its model list (one attempt, short timeout) and returns one line per
 * provider that does not answer, with its baseUrl and what to check. Start-up reports these and goes on:
 * the provider may come up later, and until then runs end in `RunFailed` with a notice to the user.
 */
export async function probeProviders(providers: readonly ResolvedProvider[], timeoutMs = 3_000): Promise<string[]> {
  const problems = await Promise.all(
    providers.map(async (provider) => {
      const client = new OpenAI({ baseURL: provider.baseUrl, apiKey: provider.apiKey ?? 'none', maxRetries: 0, timeout: timeoutMs });
      try {
        await client.models.list();
        return undefined;
      } catch (error) {
        if (error instanceof APIError && error.status !== undefined && error.status < 500 && error.status !== 401 && error.status !== 403) {
          return undefined; // It answered; some servers simply have no model list.
        }
        const why =
          error instanceof APIConnectionTimeoutError
            ? `did not answer within ${timeoutMs} ms`
            : error instanceof APIConnectionError
              ? 'cannot be reached'
              : error instanceof APIError
                ? `answered HTTP ${error.status ?? '?'}`
                : 'failed';
        const hint = error instanceof APIError && (error.status === 401 || error.status === 403) ? 'check providers[].apiKey' : 'check that the server is running and that providers[].baseUrl is right';
        return `provider "${provider.name}" at ${provider.baseUrl} ${why}: ${hint}`;
      }
    }),
  );
  return problems.filter((p): p is string => p !== undefined);
}
