// Free of Nest: the CLI checks the level before it loads Nest (see `loadNestCommon`).

/** The log levels an operator chooses from (`CLAWGATE_LOG_LEVEL`), each including those before it. */
export const SERVICE_LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type ServiceLogLevel = (typeof SERVICE_LOG_LEVELS)[number];

/** The environment variable that sets the services' log level; `info` when unset. */
export const LOG_LEVEL_ENV = 'CLAWGATE_LOG_LEVEL';

export class LogLevelError extends Error {}

/** `CLAWGATE_LOG_LEVEL`'s value: unset or empty is `info`; anything not in the list is refused, named. */
export function parseLogLevel(value: string | undefined): ServiceLogLevel {
  // Blanks around it (a CRLF env file) are not part of the value.
  const given = value?.trim().toLowerCase();
  if (given === undefined || given === '') return 'info';
  const level = SERVICE_LOG_LEVELS.find((candidate) => candidate === given);
  if (!level) throw new LogLevelError(`${LOG_LEVEL_ENV} must be one of ${SERVICE_LOG_LEVELS.join(', ')}, not "${value}"`);
  return level;
}
