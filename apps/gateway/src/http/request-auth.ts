import { type IncomingMessage } from 'node:http';
import { type AuthOutcome } from '../auth/client-authenticator.js';
import { GatewayHttpError, tooManyAttempts, unauthorized } from './gateway-http-error.js';

/** The authenticated value, or the HTTP error that says why there is none (never repeating the token). */
export function requireAuthenticated<T>(outcome: AuthOutcome<T>, what: string): T {
  if (outcome.ok) return outcome.value;
  switch (outcome.reason) {
    case 'unauthorized':
      throw unauthorized(what);
    case 'throttled':
      throw tooManyAttempts(outcome.retryAfterSeconds);
    case 'operator_access_disabled':
      throw new GatewayHttpError(503, 'operator_access_disabled', 'operator access is disabled: set gateway.auth.token in the configuration');
  }
}

export function authorizationHeader(request: IncomingMessage): string | undefined {
  return request.headers.authorization;
}
