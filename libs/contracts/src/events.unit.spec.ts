import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLAWGATE_EVENT_ID_NAMESPACE, deterministicEventId, isUuid, uuidV5 } from './events.js';

describe('uuidV5', () => {
  it('matches the RFC 4122 example (DNS namespace, www.example.com)', () => {
    assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});

describe('deterministicEventId', () => {
  it('gives the same version-5 UUID for the same inputs, every time', () => {
    const id = deterministicEventId('msg-1', 'received');
    assert.equal(deterministicEventId('msg-1', 'received'), id);
    assert.ok(isUuid(id));
    assert.equal(id[14], '5');
    assert.match(id[19]!, /[89ab]/);
  });

  it('gives different ids for a different name, purpose, or split between them', () => {
    const ids = new Set([
      deterministicEventId('msg-1', 'received'),
      deterministicEventId('msg-2', 'received'),
      deterministicEventId('msg-1', 'authorized'),
      deterministicEventId('a/b', 'c'),
      deterministicEventId('a', 'b/c'),
    ]);
    assert.equal(ids.size, 5);
  });

  it('is pinned: ids already recorded must never change', () => {
    assert.equal(CLAWGATE_EVENT_ID_NAMESPACE, '6f1c5a3e-8d2b-5f47-9a0e-3c7b1d4e2f90');
    assert.equal(deterministicEventId('m', '1'), 'b642ddd9-a045-5521-a2e7-6705d46f9636');
  });
});

describe('isUuid', () => {
  it('accepts UUIDs in either case and refuses anything else', () => {
    assert.ok(isUuid('2ED6657D-E927-568B-95E1-2665A8AEA6A2'));
    assert.ok(!isUuid('2ed6657d-e927-568b-95e1-2665a8aea6a'));
    assert.ok(!isUuid('not-a-uuid'));
    assert.ok(!isUuid(''));
  });
});
