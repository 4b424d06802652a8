import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { type ServerResponse } from 'node:http';
import { type ErrorBody, GatewayHttpError } from './gateway-http-error.js';

/**
 * Answers every error as `{ error: { code, message } }`. Errors raised before a controller runs (a body that is
 * not JSON, an unknown route) get a message of ours: the parser's own message quotes the body.
 */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('GatewayHttp');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ServerResponse>();
    const { status, body, headers } = this.describe(exception);
    if (response.headersSent) {
      response.end();
      return;
    }
    response.statusCode = status;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.end(JSON.stringify(body));
  }

  private describe(exception: unknown): { status: number; body: ErrorBody; headers: Readonly<Record<string, string>> } {
    if (exception instanceof GatewayHttpError) {
      return { status: exception.getStatus(), body: exception.getResponse() as ErrorBody, headers: exception.headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return { status, body: { error: { code: codeFor(status), message: messageFor(status, exception) } }, headers: {} };
    }
    const status = statusOf(exception);
    if (status !== undefined && status >= 400 && status < 500) {
      return { status, body: { error: { code: codeFor(status), message: messageFor(status, undefined) } }, headers: {} };
    }
    this.logger.error(`unexpected error: ${exception instanceof Error ? exception.message : String(exception)}`);
    return { status: 500, body: { error: { code: 'internal_error', message: 'the gateway failed; see its log' } }, headers: {} };
  }
}

function statusOf(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const status = (exception as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function codeFor(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 404:
      return 'not_found';
    case 413:
      return 'body_too_large';
    case 415:
      return 'unsupported_media_type';
    default:
      return status >= 500 ? 'internal_error' : 'invalid_request';
  }
}

function messageFor(status: number, exception: HttpException | undefined): string {
  switch (status) {
    case 400:
      return 'the body must be JSON: {"text": "..."} with Content-Type: application/json';
    case 404:
      return 'no such endpoint; see docs/gateway.md';
    case 413:
      return 'the body is too large';
    default:
      return exception?.message ?? 'the request failed';
  }
}
