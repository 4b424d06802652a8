import { randomUUID } from 'node:crypto';
import {
  EVENT_TYPES,
  StreamIds,
  deterministicEventId,
  type EventMetadata,
  type LlmCallCompleted,
  type RecordedEvent,
  type ReplyProduced,
  type RunFailed,
  type ToolCallRequested,
  type ToolOutcome,
} from '#contracts';
import { findAgent, parseConfigText, type ResolvedConfig } from '#config';
import { type EventStore } from '#event-store';
import { createPolicyEngine, type PolicyEngine } from '#policy';
import { decideInboundMessage } from '../../../authz/src/usecases/authorize-message/decide-message.js';
import { decideToolCall } from '../../../authz/src/usecases/authorize-tool-call/decide-tool-call.js';
import { inputSha256, resultEventId, type ToolCallExecutedData } from '../../../sandbox/src/usecases/execute-tool-call/tool-call-result.js';

/** A run in progress: what the agent knows about the message it answers. */
export interface TestRun {
  messageId: string;
  sessionKey: string;
  agentId: string;
}

export interface TestToolCall {
  toolCallId: string;
  name: string;
  input: unknown;
}

/**
 * Writes the events of a conversation the way the services do: authz's own pure deciders for the message and
 * the tool-call decisions (real config, real policy engine), and the agent's and sandbox's events with the
 * same deterministic ids, streams and data. Each call appends and returns the last recorded event.
 */
export class SessionEventWriter {
  private constructor(
    private readonly store: EventStore,
    private readonly config: ResolvedConfig,
    private readonly engine: PolicyEngine,
  ) {}

  static async create(store: EventStore): Promise<SessionEventWriter> {
    const config = parseConfigText(
      `{
        channels: { telegram: { botToken: "t", allowedUsers: [100, 200, 300] } },
        providers: [{ name: "intranet", type: "openai-compatible", baseUrl: "http://127.0.0.1:9/v1", models: ["llama3.1"] }],
        defaultProvider: "intranet",
        agents: { default: { permissions: { allow: ["Read", "Bash(ls *)"], deny: ["Bash(rm *)"] } } },
      }`,
      'projector-test',
      {},
    );
    return new SessionEventWriter(store, config, await createPolicyEngine());
  }

  /** authz: MessageReceived + MessageAuthorized on the session stream. */
  async receive(user: string, text: string): Promise<{ run: TestRun; last: RecordedEvent }> {
    const message = {
      messageId: `telegram:default:${randomUUID()}`,
      channel: 'telegram' as const,
      account: 'default',
      chat: { id: user, type: 'direct' as const },
      user: { id: user },
      text,
      receivedAt: new Date().toISOString(),
    };
    const decision = decideInboundMessage(this.config, message, {});
    if (decision.route.outcome !== 'authorized') throw new Error(`test message from ${user} was not authorized`);
    const appended = await this.store.append(decision.streamId, decision.events, { expectedVersion: 'any' });
    return { run: { messageId: message.messageId, sessionKey: decision.route.sessionKey, agentId: decision.route.agentId }, last: appended.events.at(-1)! };
  }

  /** agent: LlmCallCompleted; the tool calls it asks for get Clawgate's ids. */
  async modelCall(
    run: TestRun,
    iteration: number,
    call: { inputTokens: number; outputTokens: number; latencyMs: number; content?: string; toolCalls?: { name: string; input: unknown }[] },
  ): Promise<{ toolCalls: TestToolCall[]; last: RecordedEvent }> {
    const toolCalls = (call.toolCalls ?? []).map((toolCall, index) => ({
      toolCallId: deterministicEventId(run.messageId, `tool:${iteration}:${index}`),
      name: toolCall.name,
      input: toolCall.input,
    }));
    const data: LlmCallCompleted = {
      messageId: run.messageId,
      iteration,
      provider: 'intranet',
      model: 'llama3.1',
      inputTokens: call.inputTokens,
      outputTokens: call.outputTokens,
      latencyMs: call.latencyMs,
      attempts: 1,
      finishReason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
      content: call.content ?? null,
      toolCalls: toolCalls.map((toolCall, index) => ({
        toolCallId: toolCall.toolCallId,
        modelToolCallId: `call_${index}`,
        name: toolCall.name,
        arguments: JSON.stringify(toolCall.input),
      })),
    };
    const last = await this.appendToSession(run, `llm:${iteration}`, EVENT_TYPES.LlmCallCompleted, data);
    return { toolCalls, last };
  }

  /** agent: ToolCallRequested; then authz: the decision; both on the tool call's own stream. */
  async requestAndDecide(run: TestRun, iteration: number, toolCall: TestToolCall): Promise<RecordedEvent> {
    const requestedId = deterministicEventId(toolCall.toolCallId, 'requested');
    const requested: ToolCallRequested = {
      toolCallId: toolCall.toolCallId,
      sessionKey: run.sessionKey,
      agentId: run.agentId,
      messageId: run.messageId,
      iteration,
      tool: toolCall.name,
      input: toolCall.input,
    };
    await this.store.append(
      StreamIds.toolCall(toolCall.toolCallId),
      [{ eventId: requestedId, type: EVENT_TYPES.ToolCallRequested, schemaVersion: 1, data: requested, metadata: this.agentMetadata(run, deterministicEventId(run.messageId, `llm:${iteration}`)) }],
      { expectedVersion: 'any' },
    );
    const agent = findAgent(this.config, run.agentId);
    const { event } = decideToolCall(
      this.engine,
      agent,
      { toolCallId: toolCall.toolCallId, sessionKey: run.sessionKey, agentId: run.agentId, tool: toolCall.name, input: toolCall.input, correlationId: run.messageId, causationId: requestedId },
      {},
    );
    const appended = await this.store.append(StreamIds.toolCall(toolCall.toolCallId), [event], { expectedVersion: 'any' });
    return appended.events.at(-1)!;
  }

  /** sandbox: ToolCallExecuted, the outcome with the call's identity and container added (as `toolCallResultEvent` does). */
  async executed(run: TestRun, toolCall: TestToolCall, outcome: ToolOutcome): Promise<RecordedEvent> {
    const appended = await this.store.append(
      StreamIds.toolCall(toolCall.toolCallId),
      [
        {
          eventId: resultEventId(toolCall.toolCallId),
          type: EVENT_TYPES.ToolCallExecuted,
          schemaVersion: 1,
          data: {
            toolCallId: toolCall.toolCallId,
            sessionKey: run.sessionKey,
            agentId: run.agentId,
            tool: toolCall.name,
            inputSha256: inputSha256(toolCall.input),
            containerId: 'c0ffee',
            ...outcome,
          } satisfies ToolCallExecutedData,
          metadata: { correlationId: run.messageId, causationId: deterministicEventId(toolCall.toolCallId, 'decision'), actor: { kind: 'service', id: `agent:${run.agentId}` }, service: 'sandbox' },
        },
      ],
      { expectedVersion: 'any' },
    );
    return appended.events.at(-1)!;
  }

  /** agent: ReplyProduced. */
  async reply(run: TestRun, text: string, iterations: number): Promise<RecordedEvent> {
    const data: ReplyProduced = { messageId: run.messageId, replyId: deterministicEventId(run.messageId, 'reply'), text, iterations };
    return this.appendToSession(run, 'reply-produced', EVENT_TYPES.ReplyProduced, data);
  }

  /** agent: RunFailed. */
  async fail(run: TestRun, stage: RunFailed['stage'], error: string, userNotice: string): Promise<RecordedEvent> {
    const data: RunFailed = { messageId: run.messageId, stage, error, userNotice };
    return this.appendToSession(run, 'run-failed', EVENT_TYPES.RunFailed, data);
  }

  private async appendToSession(run: TestRun, step: string, type: string, data: object): Promise<RecordedEvent> {
    const appended = await this.store.append(
      StreamIds.session(run.sessionKey),
      [{ eventId: deterministicEventId(run.messageId, step), type, schemaVersion: 1, data, metadata: this.agentMetadata(run, deterministicEventId(run.messageId, 'authorized')) }],
      { expectedVersion: 'any' },
    );
    return appended.events.at(-1)!;
  }

  private agentMetadata(run: TestRun, causationId: string): EventMetadata {
    return { correlationId: run.messageId, causationId, actor: { kind: 'service', id: `agent:${run.agentId}` }, service: 'agent' };
  }
}

/** What a successful `ls` in the sandbox returns. */
export function lsOutcome(stdout: string): ToolOutcome {
  return { exitCode: 0, stdout, stderr: '', stdoutLength: stdout.length, stderrLength: 0, truncated: false, timedOut: false, oomKilled: false, durationMs: 42 };
}
