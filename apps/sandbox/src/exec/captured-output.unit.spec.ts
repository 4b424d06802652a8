import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputCapture } from './captured-output.js';

describe('OutputCapture', () => {
  it('keeps the first `limit` characters and counts every byte', () => {
    const capture = new OutputCapture(5);
    capture.write(Buffer.from('abc'));
    capture.write(Buffer.from('defgh'));
    capture.write(Buffer.from('ij'));
    assert.deepEqual(capture.result(), { text: 'abcde', bytes: 10, length: 10, truncated: true });
  });

  it('never splits a character that arrives in two chunks', () => {
    const capture = new OutputCapture(10);
    const euro = Buffer.from('€');
    capture.write(euro.subarray(0, 1));
    capture.write(euro.subarray(1));
    assert.deepEqual(capture.result(), { text: '€', bytes: 3, length: 1, truncated: false });
  });
});
