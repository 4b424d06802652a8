/** What the throttle says about a client that wants to authenticate. */
export type ThrottleVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface AuthThrottleSettings {
  /** Failures a client may make before it has to wait. */
  readonly freeFailures: number;
  /** Wait after the first failure beyond the free ones; doubles with each further failure. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A client that has not failed for this long starts afresh. */
  readonly forgetAfterMs: number;
  /** Clients remembered at most; the oldest are forgotten first, so a flood of addresses cannot exhaust memory. */
  readonly maxClients: number;
}

export const AUTH_THROTTLE_DEFAULTS: AuthThrottleSettings = {
  freeFailures: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxClients: 10_000,
};

interface ClientRecord {
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
}

/**
 * Slows down repeated authentication failures from one client address (operator token, WebChat tokens, HTTP
 * and WebSocket alike): after `freeFailures`, each failure makes the client wait exponentially longer, and
 * while it waits every attempt — right or wrong — is refused with the time left. A success clears the record.
 */
export class AuthThrottle {
  private readonly clients = new Map<string, ClientRecord>();

  constructor(
    private readonly settings: AuthThrottleSettings = AUTH_THROTTLE_DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  check(client: string): ThrottleVerdict {
    const record = this.current(client);
    if (record === undefined) return { allowed: true };
    const waitMs = record.blockedUntil - this.now();
    return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1_000) } : { allowed: true };
  }

  recordFailure(client: string): ThrottleVerdict {
    const now = this.now();
    const record = this.current(client) ?? { failures: 0, lastFailureAt: now, blockedUntil: 0 };
    record.failures += 1;
    record.lastFailureAt = now;
    const beyondFree = record.failures - this.settings.freeFailures;
    if (beyondFree > 0) {
      const delay = Math.min(this.settings.baseDelayMs * 2 ** Math.min(beyondFree - 1, 30), this.settings.maxDelayMs);
      record.blockedUntil = now + delay;
    }
    this.clients.delete(client);
    this.clients.set(client, record);
    this.evictOldest();
    return this.check(client);
  }

  recordSuccess(client: string): void {
    this.clients.delete(client);
  }

  private current(client: string): ClientRecord | undefined {
    const record = this.clients.get(client);
    if (record === undefined) return undefined;
    const now = this.now();
    if (now - record.lastFailureAt > this.settings.forgetAfterMs && now >= record.blockedUntil) {
      this.clients.delete(client);
      return undefined;
    }
    return record;
  }

  private evictOldest(): void {
    while (this.clients.size > this.settings.maxClients) {
      const oldest = this.clients.keys().next();
      if (oldest.done === true) return;
      this.clients.delete(oldest.value);
    }
  }
}
