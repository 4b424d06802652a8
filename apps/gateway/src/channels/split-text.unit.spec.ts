import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitText } from './split-text.js';

describe('splitText', () => {
  it('keeps a short text whole', () => {
    assert.deepEqual(splitText('hello', 4096), ['hello']);
    assert.deepEqual(splitText('', 4096), ['']);
  });

  it('splits 10 000 characters into parts of at most 4 096', () => {
    const text = 'x'.repeat(10_000);
    const parts = splitText(text, 4096);
    assert.deepEqual(parts.map((p) => p.length), [4096, 4096, 1808]);
    assert.equal(parts.join(''), text);
  });

  it('prefers paragraph, then line, then word boundaries', () => {
    const paragraph = `${'a'.repeat(3000)}\n\n${'b'.repeat(3000)}`;
    assert.deepEqual(splitText(paragraph, 4096), ['a'.repeat(3000), 'b'.repeat(3000)]);
    const words = Array.from({ length: 1000 }, (_, i) => `word${i}`).join(' ');
    const parts = splitText(words, 4096);
    assert.ok(parts.every((p) => p.length <= 4096 && !p.startsWith(' ') && !p.endsWith(' ')));
    assert.equal(parts.join(' '), words);
  });

  it('never cuts a surrogate pair in two', () => {
    const text = `${'x'.repeat(4095)}😀${'y'.repeat(10)}`;
    const parts = splitText(text, 4096);
    assert.equal(parts[0], 'x'.repeat(4095));
    assert.equal(parts[1], `😀${'y'.repeat(10)}`);
  });
});
