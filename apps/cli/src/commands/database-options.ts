import { databaseUrlFromEnv, redactDatabaseUrl } from '#event-store';

export const DATABASE_URL_OPTION_HELP = 'PostgreSQL URL (default: $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/clawgate)';

export function chosenDatabaseUrl(options: { databaseUrl?: string }): string {
  return options.databaseUrl ?? databaseUrlFromEnv();
}

/** An error's message fit to print: the URL's password never appears, whatever the driver put in it. */
export function printableError(error: unknown, databaseUrl: string): string {
  let message = error instanceof Error ? error.message : String(error);
  let password = '';
  try {
    password = decodeURIComponent(new URL(databaseUrl).password);
  } catch {
    // An unparseable URL has no password to hide beyond the URL itself.
  }
  message = message.split(databaseUrl).join(redactDatabaseUrl(databaseUrl));
  if (password) message = message.split(password).join('***');
  return message;
}
