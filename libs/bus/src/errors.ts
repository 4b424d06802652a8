export type BusErrorCode =
  | 'BUS_CONFIG_INVALID'
  | 'BUS_CONNECTION_FAILED'
  | 'BUS_INVALID_ARGUMENT'
  | 'BUS_STREAM_SETUP_FAILED'
  | 'BUS_CONSUMER_SETUP_FAILED'
  | 'BUS_CONSUME_FAILED'
  | 'BUS_PUBLISH_FAILED'
  | 'BUS_REQUEST_FAILED'
  | 'BUS_SERVE_FAILED'
  | 'BUS_TIMEOUT'
  | 'BUS_REMOTE_ERROR'
  | 'BUS_INVALID_REPLY'
  | 'BUS_CLOSED';

export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A NATS setting from the environment or from options is missing or contradictory. */
export class BusConfigError extends BusError {
  constructor(message: string) {
    super('BUS_CONFIG_INVALID', message);
  }
}

export class BusConnectionError extends BusError {
  constructor(message: string, options?: ErrorOptions) {
    super('BUS_CONNECTION_FAILED', message, options);
  }
}

/** The caller passed something the bus cannot send (no msgId, a bad header, a non-JSON payload, …). */
export class BusArgumentError extends BusError {
  constructor(message: string, options?: ErrorOptions) {
    super('BUS_INVALID_ARGUMENT', message, options);
  }
}

export class BusStreamSetupError extends BusError {
  constructor(
    readonly stream: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('BUS_STREAM_SETUP_FAILED', message, options);
  }
}

export class BusConsumerSetupError extends BusError {
  constructor(
    readonly stream: string,
    readonly durable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('BUS_CONSUMER_SETUP_FAILED', message, options);
  }
}

/** A durable consumer stopped pulling for a reason other than `stop()` or closing the bus. */
export class BusConsumeError extends BusError {
  constructor(
    readonly stream: string,
    readonly durable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('BUS_CONSUME_FAILED', message, options);
  }
}

export class BusPublishError extends BusError {
  constructor(
    readonly subject: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('BUS_PUBLISH_FAILED', message, options);
  }
}

/** A request failed for a reason that retrying will not fix (permissions, a closed connection, …). */
export class BusRequestError extends BusError {
  constructor(
    readonly subject: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('BUS_REQUEST_FAILED', message, options);
  }
}

/** A service stopped taking requests for a reason other than `stop()` or closing the bus. */
export class BusServeError extends BusError {
  constructor(
    readonly subject: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('BUS_SERVE_FAILED', message, options);
  }
}

export type RequestFailure = 'timeout' | 'no-responders';

/** Every attempt of a request timed out or found no responder. */
export class BusTimeoutError extends BusError {
  constructor(
    readonly subject: string,
    readonly attempts: number,
    readonly lastFailure: RequestFailure,
  ) {
    super(
      'BUS_TIMEOUT',
      lastFailure === 'no-responders'
        ? `no service answers on ${subject} (${attempts} attempt(s)); ` +
            'is the responding service running and allowed to subscribe?'
        : `no reply on ${subject} within the timeout (${attempts} attempt(s))`,
    );
  }
}

/** The responding service answered with an error; `remoteCode` is the code it sent. */
export class BusRemoteError extends BusError {
  constructor(
    readonly subject: string,
    readonly remoteCode: string,
    readonly remoteMessage: string,
  ) {
    super('BUS_REMOTE_ERROR', `${subject} answered ${remoteCode}: ${remoteMessage}`);
  }
}

/** The reply was not the JSON envelope, or its result did not match the expected schema. */
export class BusInvalidReplyError extends BusError {
  constructor(
    readonly subject: string,
    detail: string,
  ) {
    super('BUS_INVALID_REPLY', `the reply on ${subject} is invalid: ${detail}`);
  }
}

export class BusClosedError extends BusError {
  constructor(operation: string) {
    super('BUS_CLOSED', `cannot ${operation}: the bus connection is closed`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
