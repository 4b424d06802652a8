/** The expected version an append was made with. */
export type ExpectedVersion = 'no-stream' | 'any' | number;

/** Every error the event store throws on purpose has a `code`. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

/**
 * The stream is not at the version the caller decided on. Nothing was written: read the stream again,
 * decide again, append again.
 */
export class WrongExpectedVersionError extends EventStoreError {
  readonly code = 'WRONG_EXPECTED_VERSION';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected version ${String(expected)}, but it is at version ${actual}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/** An event id is already recorded with other content (or in another stream, or as part of another batch). */
export class EventIdConflictError extends EventStoreError {
  readonly code = 'EVENT_ID_CONFLICT';
  constructor(
    readonly eventId: string,
    readonly streamId: string,
    readonly reason: string,
  ) {
    super(`event ${eventId} (stream ${streamId}): ${reason}`);
    this.name = 'EventIdConflictError';
  }
}

/** The append itself is malformed: no events, an id that is not a UUID, the same id twice. */
export class InvalidAppendError extends EventStoreError {
  readonly code = 'INVALID_APPEND';
  constructor(
    readonly streamId: string,
    reason: string,
  ) {
    super(`append to stream ${streamId}: ${reason}`);
    this.name = 'InvalidAppendError';
  }
}

/** The database has no event store tables: `clawgate migrate` has not run against it. */
export class EventStoreNotMigratedError extends EventStoreError {
  readonly code = 'EVENT_STORE_NOT_MIGRATED';
  constructor(database: string) {
    super(`database ${database} has no event store: run "clawgate migrate" first`);
    this.name = 'EventStoreNotMigratedError';
  }
}

/** The store was closed. */
export class EventStoreClosedError extends EventStoreError {
  readonly code = 'EVENT_STORE_CLOSED';
  constructor() {
    super('the event store is closed');
    this.name = 'EventStoreClosedError';
  }
}
