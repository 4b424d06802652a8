import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childTraceparent, isValidTraceparent, newTraceparent, parseTraceparent } from './trace-context.js';

const EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C traceparent', () => {
  it('parses the example of the specification', () => {
    assert.deepEqual(parseTraceparent(EXAMPLE), {
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
    });
  });

  for (const invalid of [
    '',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    `${EXAMPLE}-extra`,
    '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x',
  ]) {
    it(`rejects ${JSON.stringify(invalid)}`, () => {
      assert.equal(isValidTraceparent(invalid), false);
    });
  }

  it('accepts a later version with extra fields', () => {
    assert.equal(isValidTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future'), true);
  });

  it('creates valid, sampled, distinct roots', () => {
    const first = newTraceparent();
    const second = newTraceparent();
    assert.equal(isValidTraceparent(first), true);
    assert.equal(parseTraceparent(first)?.flags, '01');
    assert.notEqual(parseTraceparent(first)?.traceId, parseTraceparent(second)?.traceId);
  });

  it('keeps the trace id and flags in a child and gives it a new span id', () => {
    const child = parseTraceparent(childTraceparent(EXAMPLE));
    assert.equal(child?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(child?.flags, '01');
    assert.notEqual(child?.parentId, '00f067aa0ba902b7');
  });

  it('starts a new trace when the parent is missing or invalid', () => {
    assert.equal(isValidTraceparent(childTraceparent(undefined)), true);
    assert.equal(isValidTraceparent(childTraceparent('garbage')), true);
  });
});
