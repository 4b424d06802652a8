import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { type Bus } from '#bus';
import {
  EVENT_TYPES,
  SandboxExecReplySchema,
  StreamIds,
  ToolAuthorizationReplySchema,
  deterministicEventId,
  type ContextTruncated,
  type EventMetadata,
  type LlmCallCompleted,
  type MessageReceived,
  type NewEvent,
  type OutboundReply,
  type RecordedEvent,
  type ReplyProduced,
  type RunFailed,
  type RunRequest,
  type SandboxExecReply,
  type ToolActivity,
  type ToolAuthorizationReply,
  type ToolCallRequested,
} from '#contracts';
import { findAgent, type ResolvedAgent, type ResolvedConfig } from '#config';
import { EventIdConflictError, type EventStore } from '#event-store';
import { inSpan } from '#telemetry';
import { AGENT_BUS, AGENT_CONFIG, AGENT_EVENT_STORE, AGENT_LLM_CLIENTS, AGENT_SETTINGS } from '../agent.tokens.js';
import { chooseModel, LlmCallError, LlmClient, type LlmCompletion } from '../llm/llm-client.js';
import { foldHistory } from './fold-history.js';
import { isOutcome, SESSION_HISTORY_DEFAULTS, SessionHistory, type SessionEntry } from './session-history.js';
import { toolDefinitions } from './tool-definitions.js';

export interface AgentSettings {
  /** Characters of earlier conversation given to the model (a stable stand-in for tokens). */
  historyBudgetChars: number;
  /** Per attempt of the authz and sandbox hops. */
  authzTimeoutMs: number;
  sandboxTimeoutMs: number;
  /** How long JetStream waits for a sign of life before redelivering a run (a crashed agent's work). */
  runAckWaitMs: number;
}

export const AGENT_DEFAULTS: AgentSettings = { historyBudgetChars: 24_000, authzTimeoutMs: 5_000, sandboxTimeoutMs: 660_000, runAckWaitMs: 30_000 };

/** LLM clients by provider/model, created on first use. */
export type LlmClients = Map<string, LlmClient>;

/** Raised so the bus redelivers the run later: an earlier message of the session is not finished yet. */
export class EarlierMessagePendingError extends Error {
  readonly code = 'EARLIER_MESSAGE_PENDING';
}

const SCHEMA_VERSION = 1;
const MAX_TOOL_RESULT_CHARS = 30_000;

/** How a run ended, as the user is told: its ReplyProduced or RunFailed event (recorded, or as cached). */
type Outcome = { type: string; data: unknown };

type Trace = { traceparent?: string | undefined };

/**
 * One run: answer one authorized message. The model is called with the folded conversation; each tool call
 * it asks for is recorded, decided by authz and, if allowed, executed by the sandbox; the result goes back to
 * the model until it answers or the iteration bound is reached. Every step has an id derived from the
 * message, so a run redelivered after a crash replays what it recorded (model answers included) and goes on
 * from there: the user is answered exactly once.
 */
@Injectable()
export class RunAgentUseCase {
  private readonly logger = new Logger(RunAgentUseCase.name);
  private readonly history: SessionHistory;

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: ResolvedConfig,
    @Inject(AGENT_EVENT_STORE) private readonly store: EventStore,
    @Inject(AGENT_BUS) private readonly bus: Bus,
    @Inject(AGENT_LLM_CLIENTS) private readonly clients: LlmClients,
    @Inject(AGENT_SETTINGS) private readonly settings: AgentSettings,
  ) {
    this.history = new SessionHistory(store, { ...SESSION_HISTORY_DEFAULTS, budgetChars: settings.historyBudgetChars });
  }

  async execute(run: RunRequest, trace: Trace): Promise<void> {
    await inSpan('agent.run', { traceparent: trace.traceparent, kind: 'consumer', attributes: { 'clawgate.agent': run.agentId, 'clawgate.session': run.sessionKey } }, async (scope) => {
      const context: Trace = { traceparent: scope.traceparent };
      // One read tells where this message stands: received, already answered (a redelivery), its model calls.
      const session = await this.history.read(run.sessionKey);
      const ofMessage = session.filter((entry) => (entry.data as { messageId?: unknown }).messageId === run.messageId);
      const finishedHere = ofMessage.some((entry) => isOutcome(entry.type));
      const receivedHere = ofMessage.find((entry) => entry.type === EVENT_TYPES.MessageReceived);
      if (finishedHere || !receivedHere) {
        // A redelivered run of a finished message (the session read keeps finished messages shrunk): its events
        // in full from the store, and the same reply again.
        const { received, finished } = await this.progress(run);
        if (!received) throw new Error(`run for message ${run.messageId}: its MessageReceived event is missing`);
        if (finished) return this.deliver(run, received.data as MessageReceived, finished, context);
        throw new Error(`run for message ${run.messageId}: its session ${run.sessionKey} does not show the message as the store does`);
      }
      const message = receivedHere.data as MessageReceived;

      await this.waitForEarlierMessages(run, session);
      const recordedCalls = new Set(ofMessage.filter((entry) => entry.type === EVENT_TYPES.LlmCallCompleted).map((entry) => (entry.data as { iteration: unknown }).iteration));
      const outcome = await this.answer(run, message, session, recordedCalls, context);
      await this.deliver(run, message, outcome, context);
    });
  }

  /**
   * The run failed on every delivery (authz or the sandbox unreachable, the store down, …): record why and
   * tell the user, so the message does not vanish.
   */
  async giveUp(run: RunRequest, lastError: unknown, trace: Trace): Promise<void> {
    const { received, finished } = await this.progress(run);
    if (!received) return;
    const outcome =
      finished ??
      (await this.fail(
        run,
        trace,
        lastError instanceof EarlierMessagePendingError ? 'internal' : 'tools',
        lastError === undefined ? 'the run ended without a verdict on every delivery' : errorText(lastError),
        'Sorry — something went wrong while answering your message. Please try again; if this persists, tell your administrator.',
      ));
    await this.deliver(run, received.data as MessageReceived, outcome, trace);
  }

  private async answer(run: RunRequest, message: MessageReceived, session: SessionEntry[], recordedCalls: ReadonlySet<unknown>, context: Trace): Promise<Outcome> {
    const agent = findAgent(this.config, run.agentId);
    if (!agent) {
      return this.fail(run, context, 'internal', `agent "${run.agentId}" is not in the configuration`, 'This assistant is not configured any more. Please tell your administrator.');
    }
    let client: LlmClient;
    try {
      client = this.clientFor(agent);
    } catch (error) {
      return this.fail(run, context, 'model', errorText(error), 'This assistant has no model configured. Please tell your administrator.');
    }

    const history = foldHistory(session, run.messageId, this.settings.historyBudgetChars);
    if (history.dropped.messages > 0) {
      const truncated: ContextTruncated = {
        messageId: run.messageId,
        droppedMessages: history.dropped.messages,
        droppedChars: history.dropped.chars,
        keptMessages: history.turns.length - 1,
        budgetChars: this.settings.historyBudgetChars,
      };
      await this.appendToSession(run, context, 'context-truncated', EVENT_TYPES.ContextTruncated, truncated);
    }
    const messages: ChatCompletionMessageParam[] = [
      ...(agent.systemPrompt ? [{ role: 'system' as const, content: agent.systemPrompt }] : []),
      ...history.turns,
    ];

    for (let iteration = 1; iteration <= agent.maxIterations; iteration += 1) {
      let completion: LlmCallCompleted;
      let unrecorded: NewEvent | undefined;
      try {
        ({ completion, unrecorded } = await this.modelCall(run, client, messages, iteration, recordedCalls.has(iteration), context));
      } catch (error) {
        if (!(error instanceof LlmCallError)) throw error;
        this.logger.warn(`run ${run.messageId}: ${error.message}`);
        const what = error.kind === 'unreachable' || error.kind === 'timeout' ? 'cannot be reached right now' : error.kind === 'rejected' ? 'refused the request' : 'is failing right now';
        return this.fail(run, context, 'model', error.message, `Sorry — the assistant's model (${error.provider}) ${what}, so your message was not answered. Please try again later; if this persists, tell your administrator.`);
      }
      if (completion.toolCalls.length === 0) {
        const reply: ReplyProduced = { messageId: run.messageId, replyId: this.id(run, 'reply'), text: completion.content ?? '', iterations: iteration };
        // The final model call and the reply in one transaction: one round trip, and never one without the other.
        return this.appendToSession(run, context, 'reply-produced', EVENT_TYPES.ReplyProduced, reply, unrecorded);
      }
      if (unrecorded) await this.appendEvents(StreamIds.session(run.sessionKey), [unrecorded]);
      messages.push({
        role: 'assistant',
        content: completion.content,
        tool_calls: completion.toolCalls.map((call) => ({ id: call.modelToolCallId, type: 'function', function: { name: call.name, arguments: call.arguments } })),
      });
      for (const call of completion.toolCalls) {
        const result = await this.toolCall(run, message, iteration, call, context);
        messages.push({ role: 'tool', tool_call_id: call.modelToolCallId, content: result });
      }
    }
    return this.fail(
      run,
      context,
      'iterations',
      `the model asked for tools ${agent.maxIterations} times without answering (agents.${agent.id}.maxIterations)`,
      'Sorry — this request needed more steps than this assistant is allowed to take. Please split it into smaller requests.',
    );
  }

  /**
   * The recorded answer of this iteration (a redelivered run replays it), or a new model call with its event,
   * which the caller records before anything acts on it — with the reply, when it is the answer.
   */
  private async modelCall(
    run: RunRequest,
    client: LlmClient,
    messages: ChatCompletionMessageParam[],
    iteration: number,
    maybeRecorded: boolean,
    context: Trace,
  ): Promise<{ completion: LlmCallCompleted; unrecorded?: NewEvent }> {
    if (maybeRecorded) {
      const recorded = await this.store.readEvent(this.id(run, `llm:${iteration}`));
      if (recorded) return { completion: recorded.data as LlmCallCompleted };
    }
    const completion: LlmCompletion = await inSpan(
      'agent.llm',
      { traceparent: context.traceparent, kind: 'client', attributes: { 'gen_ai.provider.name': client.providerName, 'gen_ai.request.model': client.model, 'gen_ai.operation.name': 'chat' } },
      async (scope) => {
        const result = await client.complete(messages, toolDefinitions());
        scope.span.setAttributes({ 'gen_ai.usage.input_tokens': result.usage.inputTokens, 'gen_ai.usage.output_tokens': result.usage.outputTokens, 'gen_ai.response.model': result.model });
        return result;
      },
    );
    const data: LlmCallCompleted = {
      messageId: run.messageId,
      iteration,
      provider: completion.provider,
      model: completion.model,
      inputTokens: completion.usage.inputTokens,
      outputTokens: completion.usage.outputTokens,
      latencyMs: Math.round(completion.latencyMs * 1000) / 1000,
      attempts: completion.attempts,
      finishReason: completion.finishReason,
      content: completion.message.content,
      toolCalls: completion.message.toolCalls.map((call, index) => ({
        toolCallId: deterministicEventId(run.messageId, `tool:${iteration}:${index}`),
        modelToolCallId: call.id,
        name: call.name,
        arguments: call.arguments,
      })),
    };
    return { completion: data, unrecorded: this.sessionEvent(run, context, `llm:${iteration}`, EVENT_TYPES.LlmCallCompleted, data) };
  }

  /** Records the request, asks authz, runs it in the sandbox if allowed; returns what the model is told. */
  private async toolCall(run: RunRequest, message: MessageReceived, iteration: number, call: LlmCallCompleted['toolCalls'][number], context: Trace): Promise<string> {
    return inSpan('agent.tool', { traceparent: context.traceparent, attributes: { 'clawgate.tool': call.name, 'clawgate.tool_call_id': call.toolCallId } }, async (scope) => {
      const input = parseArguments(call.arguments);
      const requested: ToolCallRequested = {
        toolCallId: call.toolCallId,
        sessionKey: run.sessionKey,
        agentId: run.agentId,
        messageId: run.messageId,
        iteration,
        tool: call.name,
        input,
      };
      const requestedId = deterministicEventId(call.toolCallId, 'requested');
      await this.append(StreamIds.toolCall(call.toolCallId), {
        eventId: requestedId,
        type: EVENT_TYPES.ToolCallRequested,
        schemaVersion: SCHEMA_VERSION,
        data: requested,
        metadata: this.metadata(run, message, this.id(run, `llm:${iteration}`), scope.traceparent),
      });

      const activity = (stage: ToolActivity['stage'], detail?: string) => this.activity(message, run, call, input, stage, detail, scope.traceparent);
      activity('requested');
      const decision: ToolAuthorizationReply = await this.bus.request(
        this.bus.subjects.authzTool(),
        { toolCallId: call.toolCallId, sessionKey: run.sessionKey, agentId: run.agentId, tool: call.name, input, correlationId: run.correlationId, causationId: requestedId },
        { responseSchema: ToolAuthorizationReplySchema, timeoutMs: this.settings.authzTimeoutMs, traceparent: scope.traceparent },
      );
      activity(decision.decision === 'allow' ? 'allowed' : 'denied', `${decision.rule ?? 'no rule'}: ${decision.reason}`);
      if (decision.decision === 'deny') {
        return `Denied by policy${decision.rule ? ` (rule ${decision.rule})` : ''}: ${decision.reason}. The call did not run.`;
      }
      const outcome: SandboxExecReply = await this.bus.request(
        this.bus.subjects.sandboxExec(run.agentId),
        { toolCallId: call.toolCallId, sessionKey: run.sessionKey, tool: call.name, input, correlationId: run.correlationId, causationId: deterministicEventId(call.toolCallId, 'decision') },
        { responseSchema: SandboxExecReplySchema, timeoutMs: this.settings.sandboxTimeoutMs, retries: 1, traceparent: scope.traceparent },
      );
      activity(outcome.status, outcome.status === 'executed' ? `exit code ${outcome.outcome.exitCode ?? 'none'}` : `${outcome.code}: ${outcome.error}`);
      return describeOutcome(outcome);
    });
  }

  /** Live progress for the user's open chat (WebChat); best effort, the events are the record. */
  private activity(message: MessageReceived, run: RunRequest, call: { toolCallId: string; name: string }, input: unknown, stage: ToolActivity['stage'], detail: string | undefined, traceparent: string): void {
    const payload: ToolActivity = {
      inReplyTo: run.messageId,
      user: { id: message.user.id },
      chat: { id: message.chat.id },
      toolCallId: call.toolCallId,
      tool: call.name,
      input,
      stage,
      ...(detail ? { detail } : {}),
    };
    try {
      this.bus.notify(this.bus.subjects.activity(message.channel, message.account), payload, { traceparent });
    } catch (error) {
      this.logger.warn(`activity for tool call ${call.toolCallId} not sent: ${errorText(error)}`);
    }
  }

  /** An earlier message of this session still being answered: the bus redelivers this run later. */
  private async waitForEarlierMessages(run: RunRequest, session: SessionEntry[]): Promise<void> {
    const finished = new Set(
      session.filter((e) => isOutcome(e.type)).map((e) => (e.data as { messageId: string }).messageId),
    );
    const pending = session.find(
      (e) => e.type === EVENT_TYPES.MessageAuthorized && e.streamVersion < run.sessionVersion && !finished.has((e.data as { messageId: string }).messageId),
    );
    if (pending) throw new EarlierMessagePendingError(`session ${run.sessionKey}: message ${(pending.data as { messageId: string }).messageId} is still being answered`);
  }

  private async fail(run: RunRequest, context: Trace, stage: RunFailed['stage'], error: string, userNotice: string): Promise<Outcome> {
    const data: RunFailed = { messageId: run.messageId, stage, error, userNotice };
    return this.appendToSession(run, context, 'run-failed', EVENT_TYPES.RunFailed, data);
  }

  /** Publishes the reply (or the failure notice) for the user; idempotent by its `Nats-Msg-Id`. */
  private async deliver(run: RunRequest, message: MessageReceived, outcome: Outcome, context: Trace): Promise<void> {
    const answered = outcome.type === EVENT_TYPES.ReplyProduced;
    const reply: OutboundReply = {
      replyId: this.id(run, 'reply'),
      inReplyTo: run.messageId,
      channel: message.channel,
      account: message.account,
      chat: { id: message.chat.id, type: message.chat.type },
      user: { id: message.user.id },
      text: answered ? (outcome.data as ReplyProduced).text : (outcome.data as RunFailed).userNotice,
      kind: answered ? 'answer' : 'error',
      correlationId: run.correlationId,
      sessionKey: run.sessionKey,
    };
    await this.bus.publish(this.bus.subjects.outbound(message.channel, message.account), reply, {
      msgId: reply.replyId,
      ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    });
  }

  /** The run's message as received and its outcome if one is recorded (a reply, else a failure), in one query. */
  private async progress(run: RunRequest): Promise<{ received: RecordedEvent | undefined; finished: RecordedEvent | undefined }> {
    const ids = { received: deterministicEventId(run.messageId, 'received'), reply: this.id(run, 'reply-produced'), failed: this.id(run, 'run-failed') };
    const events = await this.store.readEvents(Object.values(ids));
    const byId = (id: string) => events.find((event) => event.eventId === id.toLowerCase());
    return { received: byId(ids.received), finished: byId(ids.reply) ?? byId(ids.failed) };
  }

  private clientFor(agent: ResolvedAgent): LlmClient {
    const choice = chooseModel(this.config, agent);
    const key = `${choice.provider.name}\u0000${choice.model}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new LlmClient(choice);
      this.clients.set(key, client);
    }
    return client;
  }

  /** Appends a step of the run to the session stream, after `before` (the model call it answers) if given. */
  private async appendToSession(run: RunRequest, context: Trace, step: string, type: string, data: object, before?: NewEvent): Promise<RecordedEvent> {
    const event = this.sessionEvent(run, context, step, type, data);
    return this.appendEvents(StreamIds.session(run.sessionKey), before ? [before, event] : [event]);
  }

  private sessionEvent(run: RunRequest, context: Trace, step: string, type: string, data: object): NewEvent {
    return { eventId: this.id(run, step), type, schemaVersion: SCHEMA_VERSION, data, metadata: this.metadata(run, undefined, run.causationId, context.traceparent) };
  }

  /**
   * Appends events in one transaction and returns the last as recorded. If one of them is already recorded (a
   * redelivered run), each is appended on its own instead, with the tolerance of `append`.
   */
  private async appendEvents(streamId: string, events: NewEvent[]): Promise<RecordedEvent> {
    if (events.length === 1) return this.append(streamId, events[0]!);
    try {
      const appended = await this.store.append(streamId, events, { expectedVersion: 'any' });
      const last = appended.events.at(-1);
      if (!last) throw new Error(`events ${events.map((e) => e.eventId).join(', ')} were appended but are missing from the append's result`);
      return last;
    } catch (error) {
      if (!(error instanceof EventIdConflictError)) throw error;
      let last: RecordedEvent | undefined;
      for (const event of events) last = await this.append(streamId, event);
      return last!;
    }
  }

  /**
   * Appends one event with a deterministic id and returns it as recorded. A redelivered run appends the same
   * step again under a new span: same id and data, other metadata. The first record stands; only other data
   * under the same id is an error.
   */
  private async append(streamId: string, event: NewEvent): Promise<RecordedEvent> {
    try {
      const appended = await this.store.append(streamId, [event], { expectedVersion: 'any' });
      const recorded = appended.events[0];
      if (!recorded) throw new Error(`event ${event.eventId} was appended but is missing from the append's result`);
      return recorded;
    } catch (error) {
      if (!(error instanceof EventIdConflictError)) throw error;
      const recorded = await this.store.readEvent(event.eventId);
      if (!recorded || recorded.type !== event.type || !isDeepStrictEqual(recorded.data, JSON.parse(JSON.stringify(event.data)))) throw error;
      return recorded;
    }
  }

  private metadata(run: RunRequest, message: MessageReceived | undefined, causationId: string, traceparent: string | undefined): EventMetadata {
    return {
      correlationId: run.correlationId,
      causationId,
      actor: { kind: 'service', id: `agent:${run.agentId}`, ...(message ? { channel: message.channel } : {}) },
      service: 'agent',
      ...(traceparent ? { traceparent } : {}),
    };
  }

  private id(run: RunRequest, step: string): string {
    return deterministicEventId(run.messageId, step);
  }
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeOutcome(reply: SandboxExecReply): string {
  if (reply.status === 'failed') return `The tool failed (${reply.code}): ${reply.error}`;
  const { outcome } = reply;
  const flags = [outcome.timedOut && 'timed out', outcome.oomKilled && 'killed: out of memory', outcome.truncated && 'output truncated'].filter(Boolean);
  const parts = [`exit code ${outcome.exitCode ?? 'none'}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`];
  if (outcome.stdout) parts.push(`stdout:\n${outcome.stdout}`);
  if (outcome.stderr) parts.push(`stderr:\n${outcome.stderr}`);
  const text = parts.join('\n');
  return text.length > MAX_TOOL_RESULT_CHARS ? `${text.slice(0, MAX_TOOL_RESULT_CHARS)}\n[…cut]` : text;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
