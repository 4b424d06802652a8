import { BusConfigError } from './errors.js';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** How to reach NATS. Credentials are passed to the client as they are and never logged. */
export interface BusConnectionSettings {
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
}

/**
 * Reads `NATS_URL` (default {@link DEFAULT_NATS_URL}) and the optional credentials
 * `NATS_USER` + `NATS_PASSWORD` or `NATS_TOKEN`.
 */
export function connectionSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): BusConnectionSettings {
  return validateConnectionSettings(
    {
      url: nonEmpty(env.NATS_URL) ?? DEFAULT_NATS_URL,
      user: nonEmpty(env.NATS_USER),
      password: nonEmpty(env.NATS_PASSWORD),
      token: nonEmpty(env.NATS_TOKEN),
    },
    { url: 'NATS_URL', user: 'NATS_USER', password: 'NATS_PASSWORD', token: 'NATS_TOKEN' },
  );
}

/** Option values win over the environment, field by field. */
export function mergeConnectionSettings(
  fromEnv: BusConnectionSettings,
  overrides: Partial<BusConnectionSettings>,
): BusConnectionSettings {
  return validateConnectionSettings(
    {
      url: overrides.url ?? fromEnv.url,
      user: overrides.user ?? fromEnv.user,
      password: overrides.password ?? fromEnv.password,
      token: overrides.token ?? fromEnv.token,
    },
    { url: 'url', user: 'user', password: 'password', token: 'token' },
  );
}

/** The URL without user information, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

type SettingNames = Record<keyof BusConnectionSettings, string>;

function validateConnectionSettings(settings: BusConnectionSettings, names: SettingNames): BusConnectionSettings {
  if (!/^(nats|tls):\/\/[^\s]+$/.test(settings.url)) {
    throw new BusConfigError(
      `${names.url} must be a NATS URL such as ${DEFAULT_NATS_URL}, got ${JSON.stringify(redactUrl(settings.url))}`,
    );
  }
  if ((settings.user === undefined) !== (settings.password === undefined)) {
    throw new BusConfigError(`${names.user} and ${names.password} must be set together`);
  }
  if (settings.token !== undefined && settings.user !== undefined) {
    throw new BusConfigError(`set either ${names.token} or ${names.user}/${names.password}, not both`);
  }
  return settings;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
