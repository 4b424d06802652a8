/** Injection tokens of the authz service's collaborators, created once at start-up. */
export const AUTHZ_CONFIG = Symbol('AUTHZ_CONFIG');
export const AUTHZ_EVENT_STORE = Symbol('AUTHZ_EVENT_STORE');
export const AUTHZ_BUS = Symbol('AUTHZ_BUS');
export const AUTHZ_POLICY_ENGINE = Symbol('AUTHZ_POLICY_ENGINE');
export const AUTHZ_INBOUND_CONCURRENCY = Symbol('AUTHZ_INBOUND_CONCURRENCY');
