import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseToolCall, parseToolCallText, TOOL_NAMES } from './index.js';

describe('parseToolCall', () => {
  it('knows the six tools', () => assert.deepEqual([...TOOL_NAMES], ['Bash', 'Read', 'Write', 'Edit', 'Glob', 'Grep']));

  const valid: [string, unknown][] = [
    ['Bash', { command: 'git status' }],
    ['Bash', { command: 'npm test', timeout: 60_000, description: 'run the tests' }],
    ['Read', { file_path: '/workspace/a', offset: 10, limit: 20 }],
    ['Write', { file_path: '/workspace/a', content: '' }],
    ['Edit', { file_path: '/workspace/a', old_string: 'a', new_string: 'b', replace_all: true }],
    ['Glob', { pattern: '**/*.ts', path: '/workspace' }],
    ['Grep', { pattern: 'TODO', path: 'src', glob: '*.ts', output_mode: 'content', '-i': true, '-n': true, '-C': 2, head_limit: 10 }],
  ];
  for (const [tool, input] of valid) {
    it(`accepts ${tool} ${JSON.stringify(input)}`, () => {
      const result = parseToolCall(tool, input);
      assert.deepEqual(result, { ok: true, call: { tool, input } });
    });
  }

  const invalid: [string, unknown, RegExp][] = [
    ['Shell', { command: 'ls' }, /^unknown tool "Shell": expected one of Bash, Read/],
    ['Bash', {}, /^Bash\.command: /],
    ['Bash', { command: '' }, /^Bash\.command: must not be empty$/],
    ['Bash', { command: 42 }, /^Bash\.command: .*string/],
    ['Bash', { command: 'ls', timeout: -1 }, /^Bash\.timeout: /],
    ['Bash', { command: 'ls', extra: 1 }, /^Bash input: .*extra/],
    ['Read', { file_path: '' }, /^Read\.file_path: must not be empty$/],
    ['Read', { file_path: '/a', offset: 1.5 }, /^Read\.offset: /],
    ['Write', { file_path: '/a' }, /^Write\.content: /],
    ['Edit', { file_path: '/a', old_string: 'x' }, /^Edit\.new_string: /],
    ['Edit', { file_path: '/a', old_string: 'x', new_string: 'y', replace_all: 'yes' }, /^Edit\.replace_all: /],
    ['Glob', { path: '/a' }, /^Glob\.pattern: /],
    ['Grep', { pattern: 'x', output_mode: 'lines' }, /^Grep\.output_mode: /],
    ['Grep', null, /^Grep input: /],
  ];
  for (const [tool, input, message] of invalid) {
    it(`rejects ${tool} ${JSON.stringify(input)} naming the field`, () => {
      const result = parseToolCall(tool, input);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.match(result.error, message);
        assert.doesNotMatch(result.error, /\n/);
      }
    });
  }
});

describe('parseToolCallText', () => {
  const valid: [string, unknown][] = [
    ['Bash(git log --oneline -10)', { tool: 'Bash', input: { command: 'git log --oneline -10' } }],
    ['Bash(echo (a) && (b))', { tool: 'Bash', input: { command: 'echo (a) && (b)' } }],
    ['Bash(f() { ls; }; f)', { tool: 'Bash', input: { command: 'f() { ls; }; f' } }],
    ['Write(/etc/hosts)', { tool: 'Write', input: { file_path: '/etc/hosts', content: '' } }],
    ['Edit(/x)', { tool: 'Edit', input: { file_path: '/x', old_string: '', new_string: '' } }],
    ['Read(/x)', { tool: 'Read', input: { file_path: '/x' } }],
    ['Glob(**/*.ts)', { tool: 'Glob', input: { pattern: '**/*.ts' } }],
    ['Grep(pattern)', { tool: 'Grep', input: { pattern: 'pattern' } }],
    ['  Read(/x)  ', { tool: 'Read', input: { file_path: '/x' } }],
  ];
  for (const [text, call] of valid) it(`reads ${text}`, () => assert.deepEqual(parseToolCallText(text), { ok: true, call }));

  const invalid: [string, RegExp][] = [
    ['git status', /is not a tool call: write Tool\(argument\)/],
    ['Bash(git status', /missing the closing "\)"/],
    ['Bash()', /^Bash\.command: must not be empty$/],
    ['Read()', /^Read\.file_path: must not be empty$/],
    ['Shell(ls)', /^unknown tool "Shell"/],
  ];
  for (const [text, message] of invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      const result = parseToolCallText(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.error, message);
    });
  }
});
