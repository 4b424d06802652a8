import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  EVENT_TYPES,
  StreamIds,
  ToolCallDecidedSchema,
  deterministicEventId,
  parseToolCall,
  type SandboxExecReply,
  type SandboxExecRequest,
} from '#contracts';
import { findAgent, type ResolvedConfig } from '#config';
import { EventIdConflictError, type EventStore } from '#event-store';
import { inSpan } from '#telemetry';
import { type PolicyEngine } from '#policy';
import { SandboxError } from '../../errors.js';
import { recheckWithPolicy } from '../../policy-recheck.js';
import { type SandboxRuntime } from '../../sandbox-runtime.js';
import { SANDBOX_CONFIG, SANDBOX_EVENT_STORE, SANDBOX_POLICY_ENGINE, SANDBOX_RUNTIME } from '../../sandbox.tokens.js';
import { inputSha256, replyFromEvent, resultEventId, toolCallResultEvent, ToolCallExecutedDataSchema, ToolCallFailedDataSchema, type ToolCallVerdict } from './tool-call-result.js';

/** A tool-call id that came back with another tool, input or session: the caller is confused or lying. */
export class ToolCallIdReusedError extends Error {
  readonly code = 'TOOL_CALL_ID_REUSED';
  constructor(toolCallId: string) {
    super(`tool call ${toolCallId} already ran with a different tool, input or session`);
  }
}

/**
 * Runs an authorized tool call in the agent's sandbox and records ToolCallExecuted or ToolCallFailed on the
 * tool call's stream. A tool-call id whose result is recorded is answered from the store and never runs again;
 * one that is running in this process is answered when that run ends.
 */
@Injectable()
export class ExecuteToolCallUseCase {
  private readonly logger = new Logger(ExecuteToolCallUseCase.name);
  private readonly running = new Map<string, Promise<SandboxExecReply>>();

  constructor(
    @Inject(SANDBOX_CONFIG) private readonly config: ResolvedConfig,
    @Inject(SANDBOX_EVENT_STORE) private readonly store: EventStore,
    @Inject(SANDBOX_POLICY_ENGINE) private readonly engine: PolicyEngine,
    @Inject(SANDBOX_RUNTIME) private readonly runtime: SandboxRuntime,
  ) {}

  execute(agentId: string, request: SandboxExecRequest, context: { traceparent?: string | undefined }): Promise<SandboxExecReply> {
    const running = this.running.get(request.toolCallId);
    if (running) return running;
    const task = this.executeOnce(agentId, request, context).finally(() => this.running.delete(request.toolCallId));
    this.running.set(request.toolCallId, task);
    return task;
  }

  private executeOnce(agentId: string, request: SandboxExecRequest, received: { traceparent?: string | undefined }): Promise<SandboxExecReply> {
    const attributes = { 'clawgate.agent': agentId, 'clawgate.tool': request.tool, 'clawgate.tool_call_id': request.toolCallId };
    return inSpan('sandbox.exec', { traceparent: received.traceparent, kind: 'server', attributes }, async (scope) => {
      const reply = await this.executeAndRecord(agentId, request, { traceparent: scope.traceparent });
      scope.span.setAttributes({ 'clawgate.status': reply.status, 'clawgate.recorded': reply.recorded, ...(reply.status === 'executed' && reply.outcome.exitCode !== null ? { 'clawgate.exit_code': reply.outcome.exitCode } : {}) });
      return reply;
    });
  }

  private async executeAndRecord(agentId: string, request: SandboxExecRequest, context: { traceparent?: string | undefined }): Promise<SandboxExecReply> {
    const recorded = await this.recordedResult(agentId, request);
    if (recorded) return recorded;
    const verdict = await this.run(agentId, request);
    const event = toolCallResultEvent(agentId, request, verdict, context);
    try {
      await this.store.append(StreamIds.toolCall(request.toolCallId), [event], { expectedVersion: 'any' });
    } catch (error) {
      if (error instanceof EventIdConflictError) {
        // Another instance ran the same id at the same moment and recorded first: its answer is the answer.
        const raced = await this.recordedResult(agentId, request);
        if (raced) return raced;
      }
      throw error;
    }
    const reply = replyFromEvent(event, false);
    this.logger.log(`tool call ${request.toolCallId} (${request.tool}) for agent ${agentId}: ${reply.status === 'executed' ? `exit ${reply.outcome.exitCode}` : reply.code}`);
    return reply;
  }

  private async run(agentId: string, request: SandboxExecRequest): Promise<ToolCallVerdict> {
    const agent = findAgent(this.config, agentId);
    if (!agent) return { kind: 'failed', code: 'UNKNOWN_AGENT', error: `agent "${agentId}" is not configured` };
    const authorization = await this.authorizationProblem(agentId, request);
    if (authorization) return { kind: 'failed', code: 'NOT_AUTHORIZED', error: authorization };
    if (!agent.sandbox) return { kind: 'failed', code: 'NO_SANDBOX', error: `agent "${agentId}" has no sandbox configured, so its tool calls cannot run` };
    const parsed = parseToolCall(request.tool, request.input);
    if (!parsed.ok) return { kind: 'failed', code: 'INVALID_INPUT', error: parsed.error };
    try {
      const result = await this.runtime.execute({
        agentId,
        sessionKey: request.sessionKey,
        settings: agent.sandbox,
        call: parsed.call,
        recheckPath: recheckWithPolicy(this.engine, agent.permissions),
      });
      if (result.failure) return { kind: 'failed', code: result.failure.code.toUpperCase(), error: result.failure.message, result };
      return { kind: 'executed', result };
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error;
      return { kind: 'failed', code: error.code === 'SANDBOX_IMAGE_MISSING' ? 'IMAGE_MISSING' : 'ENGINE_UNAVAILABLE', error: error.message };
    }
  }

  /** Nothing runs that authz did not allow: the decision recorded for this id must be an allow for this very call. */
  private async authorizationProblem(agentId: string, request: SandboxExecRequest): Promise<string | undefined> {
    const decision = await this.store.readEvent(deterministicEventId(request.toolCallId, 'decision'));
    if (!decision) return `no authorization is recorded for tool call ${request.toolCallId}`;
    if (decision.type !== EVENT_TYPES.ToolCallAuthorized) return `tool call ${request.toolCallId} was denied by authz`;
    const decided = ToolCallDecidedSchema.parse(decision.data);
    if (decided.agentId !== agentId || decided.tool !== request.tool || decided.sessionKey !== request.sessionKey || !isDeepStrictEqual(decided.input, request.input)) {
      return `tool call ${request.toolCallId} was authorized for a different agent, session, tool or input`;
    }
    return undefined;
  }

  private async recordedResult(agentId: string, request: SandboxExecRequest): Promise<SandboxExecReply | undefined> {
    const event = await this.store.readEvent(resultEventId(request.toolCallId));
    if (!event) return undefined;
    const data = event.type === EVENT_TYPES.ToolCallExecuted ? ToolCallExecutedDataSchema.parse(event.data) : ToolCallFailedDataSchema.parse(event.data);
    if (data.agentId !== agentId || data.tool !== request.tool || data.sessionKey !== request.sessionKey || data.inputSha256 !== inputSha256(request.input)) {
      throw new ToolCallIdReusedError(request.toolCallId);
    }
    return replyFromEvent(event, true);
  }
}
