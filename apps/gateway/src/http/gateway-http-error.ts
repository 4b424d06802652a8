import { HttpException } from '@nestjs/common';

/** The body of every error the gateway answers: `{ "error": { "code", "message" } }`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** An HTTP error with a code a script can act on and a message a person can; never carries a secret. */
export class GatewayHttpError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super({ error: { code, message } } satisfies ErrorBody, status);
  }
}

export function unauthorized(what: string): GatewayHttpError {
  return new GatewayHttpError(401, 'unauthorized', `${what}: send "Authorization: Bearer <token>" with a valid token`, {
    'WWW-Authenticate': 'Bearer realm="clawgate"',
  });
}

export function tooManyAttempts(retryAfterSeconds: number): GatewayHttpError {
  return new GatewayHttpError(
    429,
    'too_many_attempts',
    `too many failed sign-ins from this address; try again in ${retryAfterSeconds} s`,
    { 'Retry-After': String(retryAfterSeconds) },
  );
}
