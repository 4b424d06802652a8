import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, eventHash, type HashedEventFields } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and has no whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('encodes values as JSON.stringify does: undefined dropped, toJSON used, undefined in arrays is null', () => {
    const value = { when: new Date('2026-01-02T03:04:05.678Z'), gone: undefined, list: [undefined, 1] };
    assert.equal(canonicalJson(value), '{"list":[null,1],"when":"2026-01-02T03:04:05.678Z"}');
    assert.deepEqual(JSON.parse(canonicalJson(value)), JSON.parse(JSON.stringify(value)));
  });

  it('refuses a value without a JSON form', () => {
    assert.throws(() => canonicalJson(undefined), TypeError);
    assert.throws(() => canonicalJson({ n: 1n }), TypeError);
  });
});

describe('eventHash', () => {
  const event: HashedEventFields = {
    streamId: 'toolcall:1',
    streamVersion: 1,
    eventId: '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    type: 'ToolCallRequested',
    schemaVersion: 1,
    data: { tool: 'Bash', input: { command: 'ls' } },
    metadata: { correlationId: 'm1', causationId: 'm1', actor: { kind: 'user', id: 'u1' }, service: 'agent' },
    recordedAt: new Date('2026-11-24T12:00:00.000Z'),
  };

  it('does not depend on key order', () => {
    const reordered = { ...event, data: { input: { command: 'ls' }, tool: 'Bash' } };
    assert.equal(eventHash(null, reordered), eventHash(null, event));
  });

  it('changes with the previous hash and with every field', () => {
    const base = eventHash(null, event);
    assert.match(base, /^[0-9a-f]{64}$/);
    const variants = [
      eventHash(base, event),
      eventHash(null, { ...event, streamId: 'toolcall:2' }),
      eventHash(null, { ...event, streamVersion: 2 }),
      eventHash(null, { ...event, type: 'ToolCallDenied' }),
      eventHash(null, { ...event, schemaVersion: 2 }),
      eventHash(null, { ...event, data: { tool: 'Bash', input: { command: 'rm' } } }),
      eventHash(null, { ...event, metadata: { ...(event.metadata as object), service: 'authz' } }),
      eventHash(null, { ...event, recordedAt: new Date('2026-11-24T12:00:00.001Z') }),
    ];
    assert.equal(new Set([base, ...variants]).size, variants.length + 1);
  });
});
