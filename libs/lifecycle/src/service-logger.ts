import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { type ServiceLogLevel } from './log-level.js';

const NEST_LEVELS: Record<ServiceLogLevel, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/**
 * Nest's console logger with each line stamped in ISO 8601 UTC (`2026-12-08T10:15:30.123Z`) instead of the
 * local date and time of the host's locale: the same on every host, sortable, and what log collectors parse;
 * coloured only on a terminal.
 * It also never calls the `Intl.DateTimeFormat` Nest creates for its own stamps (see `loadNestCommon`).
 */
export class ServiceLogger extends ConsoleLogger {
  constructor(level: ServiceLogLevel) {
    super({ logLevels: NEST_LEVELS[level], colors: coloured() });
  }

  protected override getTimestamp(): string {
    return new Date().toISOString();
  }
}

/**
 * Colours only for a person at a terminal — stdout and stderr both (errors go to stderr) — not in files, pipes
 * and log collectors; `NO_COLOR` turns them off there too, `FORCE_COLOR` (other than 0) on anywhere.
 */
function coloured(): boolean {
  const forced = process.env.FORCE_COLOR;
  if (forced !== undefined && forced !== '' && forced !== '0') return true;
  return process.stdout.isTTY === true && process.stderr.isTTY === true && !process.env.NO_COLOR;
}

/** The `logger` option of a Nest application: `false` (tests) or a {@link ServiceLogger} at `level`. */
export function serviceLogger(enabled: boolean | undefined, level: ServiceLogLevel | undefined): false | ServiceLogger {
  return enabled === false ? false : new ServiceLogger(level ?? 'info');
}
