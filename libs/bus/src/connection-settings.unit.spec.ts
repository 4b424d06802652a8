import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectionSettingsFromEnv, DEFAULT_NATS_URL, mergeConnectionSettings, redactUrl } from './connection-settings.js';
import { BusConfigError } from './errors.js';

describe('NATS connection settings', () => {
  it('defaults to the local server without credentials', () => {
    assert.deepEqual(connectionSettingsFromEnv({}), {
      url: DEFAULT_NATS_URL,
      user: undefined,
      password: undefined,
      token: undefined,
    });
    assert.equal(DEFAULT_NATS_URL, 'nats://127.0.0.1:4222');
  });

  it('reads the URL and credentials from the environment', () => {
    assert.deepEqual(
      connectionSettingsFromEnv({ NATS_URL: 'nats://nats:4222', NATS_USER: 'authz', NATS_PASSWORD: 's3cret' }),
      { url: 'nats://nats:4222', user: 'authz', password: 's3cret', token: undefined },
    );
    assert.equal(connectionSettingsFromEnv({ NATS_TOKEN: 't0ken' }).token, 't0ken');
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => connectionSettingsFromEnv({ NATS_URL: 'http://x' }), (error: unknown) => {
      assert.ok(error instanceof BusConfigError);
      assert.equal(error.code, 'BUS_CONFIG_INVALID');
      assert.match(error.message, /NATS_URL/);
      return true;
    });
    assert.throws(() => connectionSettingsFromEnv({ NATS_USER: 'authz' }), /NATS_USER and NATS_PASSWORD/);
    assert.throws(
      () => connectionSettingsFromEnv({ NATS_USER: 'a', NATS_PASSWORD: 'b', NATS_TOKEN: 'c' }),
      /NATS_TOKEN or NATS_USER/,
    );
  });

  it('never repeats credentials embedded in a bad URL', () => {
    assert.throws(
      () => connectionSettingsFromEnv({ NATS_URL: 'http://user:hunter2@x' }),
      (error: unknown) => error instanceof BusConfigError && !error.message.includes('hunter2'),
    );
    assert.equal(redactUrl('nats://user:hunter2@nats:4222'), 'nats://nats:4222');
  });

  it('lets options win over the environment', () => {
    const merged = mergeConnectionSettings(connectionSettingsFromEnv({ NATS_URL: 'nats://a:4222' }), {
      url: 'nats://b:4222',
    });
    assert.equal(merged.url, 'nats://b:4222');
  });
});
