/** Injection tokens of the gateway's collaborators, created once at start-up. */
export const GATEWAY_CONFIG = Symbol('clawgate.gateway.config');
export const GATEWAY_SETTINGS = Symbol('clawgate.gateway.settings');
export const GATEWAY_BUS = Symbol('clawgate.gateway.bus');
export const GATEWAY_EVENT_STORE = Symbol('clawgate.gateway.event-store');
