import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DATABASE_URL, InvalidDatabaseUrlError, databaseUrlFromEnv, parseDatabaseUrl, redactDatabaseUrl, withDatabase } from './database-url.js';

describe('database URLs', () => {
  it('come from DATABASE_URL, else the local default', () => {
    assert.equal(databaseUrlFromEnv({}), 'postgres://postgres@127.0.0.1:5432/clawgate');
    assert.equal(databaseUrlFromEnv({ DATABASE_URL: '  ' }), DEFAULT_DATABASE_URL);
    assert.equal(databaseUrlFromEnv({ DATABASE_URL: 'postgres://app@db:5432/cg' }), 'postgres://app@db:5432/cg');
  });

  it('are printed without their password', () => {
    assert.equal(redactDatabaseUrl('postgres://app:s3cret@db:5432/cg'), 'postgres://app:***@db:5432/cg');
    assert.equal(redactDatabaseUrl('postgres://app@db/cg'), 'postgres://app@db/cg');
    assert.equal(redactDatabaseUrl('not a url s3cret'), '<unparseable database URL>');
  });

  it('must be postgres:// or postgresql:// with a database name; errors never repeat the password', () => {
    for (const url of ['mysql://u:s3cret@h/db', 'postgres://u:s3cret@h', 'postgres://u:s3cret@h/', 'nonsense s3cret']) {
      assert.throws(() => parseDatabaseUrl(url), (error: unknown) => error instanceof InvalidDatabaseUrlError && !error.message.includes('s3cret'));
    }
    assert.equal(parseDatabaseUrl('postgresql://u@h/db').hostname, 'h');
  });

  it('can point at another database of the same server', () => {
    assert.equal(withDatabase('postgres://u:p@h:5433/clawgate?sslmode=require', 'postgres'), 'postgres://u:p@h:5433/postgres?sslmode=require');
  });
});
