export { createPolicyEngine, type Decision, type DecisionContext, type PolicyEngine, type PolicyEngineOptions } from './engine.js';
export { compilePathPattern, DEFAULT_CWD, DEFAULT_HOME, matchesPath, normalizePath, type PathContext, type PathPattern } from './paths.js';
export { parseRule, RuleSyntaxError, type PermissionSet, type Rule, type RuleSpecifier } from './rules.js';
export { MAX_COMMAND_LENGTH, MAX_NESTING } from './shell-analysis.js';
export * from './routing.js';
