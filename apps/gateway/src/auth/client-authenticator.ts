import { type ResolvedConfig } from '#config';
import { type AuthThrottle } from './auth-throttle.js';
import { SecretDigest } from './secret-digest.js';
import { type WebchatUser, type WebchatUsers } from './webchat-users.js';

export type AuthOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: 'unauthorized' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfterSeconds: number }
  | { readonly ok: false; readonly reason: 'operator_access_disabled' };

/**
 * Every token check of the gateway goes through here, so that the HTTP endpoints and the WebSocket share one
 * throttle per client address: a client guessing tokens is slowed down whichever door it knocks on.
 */
export class ClientAuthenticator {
  private readonly operatorToken: SecretDigest | undefined;

  constructor(
    config: ResolvedConfig,
    private readonly users: WebchatUsers,
    private readonly throttle: AuthThrottle,
  ) {
    this.operatorToken = config.gateway.authToken === undefined ? undefined : new SecretDigest(config.gateway.authToken);
  }

  get operatorAccessEnabled(): boolean {
    return this.operatorToken !== undefined;
  }

  webchatUser(client: string, token: string | undefined): AuthOutcome<WebchatUser> {
    return this.attempt(client, token, (presented) => this.users.authenticate(presented));
  }

  operator(client: string, token: string | undefined): AuthOutcome<true> {
    const operatorToken = this.operatorToken;
    if (operatorToken === undefined) return { ok: false, reason: 'operator_access_disabled' };
    return this.attempt(client, token, (presented) => (operatorToken.matches(presented) ? true : undefined));
  }

  private attempt<T>(client: string, token: string | undefined, identify: (token: string) => T | undefined): AuthOutcome<T> {
    const verdict = this.throttle.check(client);
    if (!verdict.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds };
    const identified = token === undefined ? undefined : identify(token);
    if (identified === undefined) {
      const after = this.throttle.recordFailure(client);
      return after.allowed ? { ok: false, reason: 'unauthorized' } : { ok: false, reason: 'throttled', retryAfterSeconds: after.retryAfterSeconds };
    }
    this.throttle.recordSuccess(client);
    return { ok: true, value: identified };
  }
}
