/** Injection tokens of the agent service's collaborators, created once at start-up. */
export const AGENT_CONFIG = Symbol('AGENT_CONFIG');
export const AGENT_EVENT_STORE = Symbol('AGENT_EVENT_STORE');
export const AGENT_BUS = Symbol('AGENT_BUS');
export const AGENT_LLM_CLIENTS = Symbol('AGENT_LLM_CLIENTS');
export const AGENT_SETTINGS = Symbol('AGENT_SETTINGS');
export const AGENT_CONCURRENCY = Symbol('AGENT_CONCURRENCY');
/** Set for a worker that serves one agent only (`clawgate start agent --agent <id>`). */
export const AGENT_ONLY = Symbol('AGENT_ONLY');
