import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  EVENT_TYPES,
  StreamIds,
  deterministicEventId,
  type RecordedEvent,
  type ToolAuthorizationReply,
  type ToolAuthorizationRequest,
  type ToolCallDecided,
} from '#contracts';
import { findAgent, type ResolvedConfig } from '#config';
import { EventIdConflictError, type EventStore } from '#event-store';
import { inSpan } from '#telemetry';
import { type PolicyEngine } from '#policy';
import { AUTHZ_CONFIG, AUTHZ_EVENT_STORE, AUTHZ_POLICY_ENGINE } from '../../authz.tokens.js';
import { decideToolCall } from './decide-tool-call.js';

/** A tool-call id that came back with another tool or input: the caller is confused or lying. */
export class ToolCallIdReusedError extends Error {
  readonly code = 'TOOL_CALL_ID_REUSED';
  constructor(toolCallId: string) {
    super(`tool call ${toolCallId} was already decided for a different tool or input`);
  }
}

/**
 * Decides a tool call before anything runs and records the decision on the tool call's stream. A repeated
 * tool-call id (a caller's retry) gets the recorded answer, never a second decision.
 */
@Injectable()
export class AuthorizeToolCallUseCase {
  private readonly logger = new Logger(AuthorizeToolCallUseCase.name);

  constructor(
    @Inject(AUTHZ_CONFIG) private readonly config: ResolvedConfig,
    @Inject(AUTHZ_EVENT_STORE) private readonly store: EventStore,
    @Inject(AUTHZ_POLICY_ENGINE) private readonly engine: PolicyEngine,
  ) {}

  async execute(request: ToolAuthorizationRequest, received: { traceparent?: string | undefined }): Promise<ToolAuthorizationReply> {
    const attributes = { 'clawgate.agent': request.agentId, 'clawgate.tool': request.tool, 'clawgate.tool_call_id': request.toolCallId };
    return inSpan('authz.tool_call', { traceparent: received.traceparent, kind: 'server', attributes }, async (scope) => {
      const reply = await this.decide(request, { traceparent: scope.traceparent });
      scope.span.setAttributes({ 'clawgate.decision': reply.decision, 'clawgate.recorded': reply.recorded });
      return reply;
    });
  }

  private async decide(request: ToolAuthorizationRequest, context: { traceparent?: string | undefined }): Promise<ToolAuthorizationReply> {
    const recorded = await this.recordedDecision(request);
    if (recorded) return recorded;
    const agent = findAgent(this.config, request.agentId);
    const { decision, event } = decideToolCall(this.engine, agent, request, context);
    try {
      await this.store.append(StreamIds.toolCall(request.toolCallId), [event], { expectedVersion: 'any' });
    } catch (error) {
      if (error instanceof EventIdConflictError) {
        const raced = await this.recordedDecision(request);
        if (raced) return raced;
      }
      throw error;
    }
    this.logger.log(`tool call ${request.toolCallId} (${request.tool}) for agent ${request.agentId}: ${decision.decision} — ${decision.reason}`);
    return { toolCallId: request.toolCallId, ...decision, recorded: false };
  }

  private async recordedDecision(request: ToolAuthorizationRequest): Promise<ToolAuthorizationReply | undefined> {
    const event: RecordedEvent | undefined = await this.store.readEvent(deterministicEventId(request.toolCallId, 'decision'));
    if (!event) return undefined;
    const data = event.data as ToolCallDecided;
    if (data.tool !== request.tool || data.agentId !== request.agentId || !isDeepStrictEqual(data.input, request.input)) {
      throw new ToolCallIdReusedError(request.toolCallId);
    }
    return {
      toolCallId: request.toolCallId,
      decision: event.type === EVENT_TYPES.ToolCallAuthorized ? 'allow' : 'deny',
      rule: data.rule,
      reason: data.reason,
      recorded: true,
    };
  }
}
