import { type DecisionContext, type PermissionSet, type PolicyEngine } from '#policy';
import { type RecheckPath } from './tools/tool-call.js';

/** The recheck an agent's tool calls get: its own permissions, asked about the real path. */
export function recheckWithPolicy(engine: PolicyEngine, permissions: PermissionSet, context?: DecisionContext): RecheckPath {
  return (tool, realPath) => {
    const decided = engine.checkPath(permissions, tool, realPath, context);
    return { decision: decided.decision, rule: decided.rule ?? '', reason: decided.reason };
  };
}
