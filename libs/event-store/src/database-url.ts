export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/clawgate';

/** `DATABASE_URL` from the environment, or the local default. */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.DATABASE_URL?.trim();
  return fromEnv ? fromEnv : DEFAULT_DATABASE_URL;
}

/** Thrown for a URL that is not a PostgreSQL URL; its message never repeats the URL's password. */
export class InvalidDatabaseUrlError extends Error {
  readonly code = 'INVALID_DATABASE_URL';
  constructor(reason: string) {
    super(`invalid database URL: ${reason}`);
    this.name = 'InvalidDatabaseUrlError';
  }
}

export function parseDatabaseUrl(databaseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new InvalidDatabaseUrlError('not a URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InvalidDatabaseUrlError(`scheme "${url.protocol.replace(/:$/, '')}" is not postgres or postgresql`);
  }
  if (databaseName(url) === '') throw new InvalidDatabaseUrlError('no database name in the path');
  return url;
}

export function databaseName(url: URL): string {
  return decodeURIComponent(url.pathname.replace(/^\//, ''));
}

/** The URL as it may be printed or logged: the password is replaced by `***`. */
export function redactDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

/** The same server and credentials, another database (used to create the target database). */
export function withDatabase(databaseUrl: string, name: string): string {
  const url = parseDatabaseUrl(databaseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}
