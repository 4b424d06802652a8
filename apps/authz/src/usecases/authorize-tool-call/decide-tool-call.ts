import {
  EVENT_TYPES,
  deterministicEventId,
  parseToolCall,
  type NewEvent,
  type ToolAuthorizationRequest,
  type ToolCallDecided,
} from '#contracts';
import { type ResolvedAgent } from '#config';
import { type Decision, type PolicyEngine } from '#policy';

export interface ToolCallDecision {
  decision: Decision;
  event: NewEvent;
}

const SCHEMA_VERSION = 1;
const DEFAULT_CWD = '/workspace';

/**
 * The pure core of authz for a tool call: the agent's effective rules decide. An unknown agent or input
 * that does not fit the tool is a deny, recorded like any other, so a probing model leaves a trail.
 */
export function decideToolCall(
  engine: PolicyEngine,
  agent: ResolvedAgent | undefined,
  request: ToolAuthorizationRequest,
  trace: { traceparent?: string | undefined },
): ToolCallDecision {
  const decision = judge(engine, agent, request);
  const data: ToolCallDecided = {
    toolCallId: request.toolCallId,
    sessionKey: request.sessionKey,
    agentId: request.agentId,
    tool: request.tool,
    input: request.input,
    rule: decision.rule,
    reason: decision.reason,
  };
  return {
    decision,
    event: {
      eventId: deterministicEventId(request.toolCallId, 'decision'),
      type: decision.decision === 'allow' ? EVENT_TYPES.ToolCallAuthorized : EVENT_TYPES.ToolCallDenied,
      schemaVersion: SCHEMA_VERSION,
      data,
      metadata: {
        correlationId: request.correlationId,
        causationId: request.causationId ?? deterministicEventId(request.toolCallId, 'requested'),
        actor: { kind: 'service', id: `agent:${request.agentId}` },
        service: 'authz',
        ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
      },
    },
  };
}

function judge(engine: PolicyEngine, agent: ResolvedAgent | undefined, request: ToolAuthorizationRequest): Decision {
  if (!agent) return { decision: 'deny', rule: null, reason: `agent "${request.agentId}" is not configured` };
  const parsed = parseToolCall(request.tool, request.input);
  if (!parsed.ok) return { decision: 'deny', rule: null, reason: `invalid ${request.tool} input: ${parsed.error}` };
  return engine.decide(agent.permissions, parsed.call, { cwd: request.cwd ?? DEFAULT_CWD });
}
