/** Injection tokens of the sandbox service's collaborators, created once at start-up. */
export const SANDBOX_CONFIG = Symbol('SANDBOX_CONFIG');
export const SANDBOX_EVENT_STORE = Symbol('SANDBOX_EVENT_STORE');
export const SANDBOX_BUS = Symbol('SANDBOX_BUS');
export const SANDBOX_POLICY_ENGINE = Symbol('SANDBOX_POLICY_ENGINE');
export const SANDBOX_RUNTIME = Symbol('SANDBOX_RUNTIME');
