import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearerToken, SecretDigest } from './secret-digest.js';

describe('SecretDigest', () => {
  it('matches only the exact secret, whatever the length of the guess', () => {
    const secret = new SecretDigest('s3cret-token');
    assert.equal(secret.matches('s3cret-token'), true);
    for (const guess of ['', 's', 's3cret-toke', 's3cret-token ', 'S3cret-token', 'x'.repeat(10_000)]) {
      assert.equal(secret.matches(guess), false, JSON.stringify(guess.slice(0, 20)));
    }
  });
});

describe('bearerToken', () => {
  it('reads the token of an Authorization header and nothing else', () => {
    assert.equal(bearerToken('Bearer abc-123'), 'abc-123');
    assert.equal(bearerToken('bearer   abc'), 'abc');
    assert.equal(bearerToken(undefined), undefined);
    assert.equal(bearerToken('Basic dXNlcjpwYXNz'), undefined);
    assert.equal(bearerToken('Bearer'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
  });
});
