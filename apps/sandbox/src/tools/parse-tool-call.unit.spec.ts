import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseToolCall } from './parse-tool-call.js';

describe('parseToolCall', () => {
  it('accepts Claude Code\'s input shapes', () => {
    assert.deepEqual(parseToolCall('Bash', { command: 'git status', timeout: 5000 }), { ok: true, call: { tool: 'Bash', input: { command: 'git status', timeout: 5000 } } });
    assert.deepEqual(parseToolCall('Read', { file_path: '/workspace/a', offset: 10, limit: 5 }), {
      ok: true,
      call: { tool: 'Read', input: { file_path: '/workspace/a', offset: 10, limit: 5 } },
    });
    assert.equal(parseToolCall('Edit', { file_path: '/a', old_string: 'x', new_string: 'y', replace_all: true }).ok, true);
    assert.equal(parseToolCall('Grep', { pattern: 'TODO', glob: '*.ts' }).ok, true);
  });

  it('refuses an unknown tool and says which exist', () => {
    assert.deepEqual(parseToolCall('Shell', { command: 'ls' }), { ok: false, error: 'unknown tool "Shell" (known: Bash, Read, Write, Edit, Glob, Grep)' });
    assert.equal(parseToolCall('constructor', {}).ok, false);
  });

  it('names the field that is wrong', () => {
    const parsed = parseToolCall('Write', { file_path: '/a', content: 3 });
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.error, /^Write input: content: /);
    assert.deepEqual(parseToolCall('Bash', { command: '' }), { ok: false, error: 'Bash input: command: must not be empty' });
  });
});
