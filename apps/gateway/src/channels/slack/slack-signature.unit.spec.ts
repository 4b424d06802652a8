import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slackSignature, verifySlackSignature } from './slack-signature.js';

const secret = 'slack-signing-secret-for-tests';
const now = new Date('2026-11-25T00:30:00.000Z');
const seconds = Math.floor(now.getTime() / 1_000);
const body = '{"type":"event_callback","event_id":"Ev01"}';

function verify(timestamp: number, signature = slackSignature(secret, String(timestamp), body), raw = body) {
  return verifySlackSignature(secret, { signature, timestamp: String(timestamp) }, Buffer.from(raw), now);
}

describe('verifySlackSignature', () => {
  it('accepts a correctly signed request within 5 minutes either way', () => {
    assert.deepEqual(verify(seconds), { ok: true });
    assert.deepEqual(verify(seconds - 300), { ok: true });
    assert.deepEqual(verify(seconds + 300), { ok: true });
  });

  it('refuses a signature made with another secret, or over another body', () => {
    assert.equal(verify(seconds, slackSignature('another-secret', String(seconds), body)).ok, false);
    const tampered = verify(seconds, undefined, body.replace('Ev01', 'Ev02'));
    assert.deepEqual(tampered.ok ? undefined : tampered.code, 'bad_signature');
  });

  it('refuses a stale timestamp and a future one, even when signed correctly', () => {
    const stale = verify(seconds - 301);
    assert.equal(stale.ok ? undefined : stale.code, 'stale_timestamp');
    const future = verify(seconds + 301);
    assert.equal(future.ok ? undefined : future.code, 'future_timestamp');
  });

  it('refuses missing headers and a timestamp that is not a number', () => {
    const missing = verifySlackSignature(secret, { signature: undefined, timestamp: String(seconds) }, Buffer.from(body), now);
    assert.equal(missing.ok ? undefined : missing.code, 'missing_signature');
    const nan = verifySlackSignature(secret, { signature: 'v0=00', timestamp: '12e3' }, Buffer.from(body), now);
    assert.equal(nan.ok ? undefined : nan.code, 'invalid_timestamp');
  });
});
