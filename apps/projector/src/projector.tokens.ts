/** Injection tokens of the projector's collaborators, created once at start-up. */
export const PROJECTOR_EVENT_STORE = Symbol('PROJECTOR_EVENT_STORE');
export const PROJECTOR_SETTINGS = Symbol('PROJECTOR_SETTINGS');
