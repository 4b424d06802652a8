import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOLE, commandPatternMatches } from './rules.js';
import { compilePathPattern, matchesPath, normalizePath } from './paths.js';
import { parseRule, RuleSyntaxError } from './index.js';

describe('parseRule', () => {
  const accepted: [string, ReturnType<typeof parseRule>][] = [
    ['Bash', { text: 'Bash', tool: 'Bash', specifier: null }],
    ['Bash(*)', { text: 'Bash(*)', tool: 'Bash', specifier: null }],
    ['Bash(git *)', { text: 'Bash(git *)', tool: 'Bash', specifier: { kind: 'command', pattern: 'git *' } }],
    ['Bash(npm test)', { text: 'Bash(npm test)', tool: 'Bash', specifier: { kind: 'command', pattern: 'npm test' } }],
    ['Bash(rm -rf *)', { text: 'Bash(rm -rf *)', tool: 'Bash', specifier: { kind: 'command', pattern: 'rm -rf *' } }],
    ['Bash(sudo *)', { text: 'Bash(sudo *)', tool: 'Bash', specifier: { kind: 'command', pattern: 'sudo *' } }],
    ['Bash(rm *)', { text: 'Bash(rm *)', tool: 'Bash', specifier: { kind: 'command', pattern: 'rm *' } }],
    ['Bash(npm run test:*)', { text: 'Bash(npm run test:*)', tool: 'Bash', specifier: { kind: 'command', pattern: 'npm run test *' } }],
    ['Bash(echo (x))', { text: 'Bash(echo (x))', tool: 'Bash', specifier: { kind: 'command', pattern: 'echo (x)' } }],
    ['Read', { text: 'Read', tool: 'Read', specifier: null }],
    ['Write', { text: 'Write', tool: 'Write', specifier: null }],
    ['Read(**)', { text: 'Read(**)', tool: 'Read', specifier: null }],
    ['Read(/workspace/**)', { text: 'Read(/workspace/**)', tool: 'Read', specifier: { kind: 'path', pattern: '/workspace/**' } }],
    ['Write(/etc/*)', { text: 'Write(/etc/*)', tool: 'Write', specifier: { kind: 'path', pattern: '/etc/*' } }],
    ['Write(/etc/**)', { text: 'Write(/etc/**)', tool: 'Write', specifier: { kind: 'path', pattern: '/etc/**' } }],
    ['Edit(//etc/hosts)', { text: 'Edit(//etc/hosts)', tool: 'Edit', specifier: { kind: 'path', pattern: '/etc/hosts' } }],
    ['Read(~/.ssh/**)', { text: 'Read(~/.ssh/**)', tool: 'Read', specifier: { kind: 'path', pattern: '~/.ssh/**' } }],
    ['Glob(src/**)', { text: 'Glob(src/**)', tool: 'Glob', specifier: { kind: 'path', pattern: 'src/**' } }],
    ['Grep', { text: 'Grep', tool: 'Grep', specifier: null }],
    [' Bash(git *) ', { text: ' Bash(git *) ', tool: 'Bash', specifier: { kind: 'command', pattern: 'git *' } }],
  ];
  for (const [text, rule] of accepted) it(`reads ${JSON.stringify(text)}`, () => assert.deepEqual(parseRule(text), rule));

  const rejected: [string, RegExp][] = [
    ['Bash(git *', /missing the closing "\)" after "Bash\("/],
    ['Shell(rm *)', /unknown tool "Shell"/],
    ['bash(ls)', /unknown tool "bash" \(did you mean "Bash"\?\)/],
    ['', /must not be empty/],
    ['   ', /must not be empty/],
    ['Bash()', /empty parentheses/],
    ['Read( )', /empty parentheses/],
    ['(ls)', /does not start with a tool name/],
    ['Bash (ls)', /does not start with a tool name/],
    ['Bash(ls  -la)', /extra spaces/],
    ['Bash(git\tlog)', /control or invisible/],
    ['Bash(r\u200bm *)', /control or invisible/],
    ['Read(/etc/***)', /\*\*\*/],
    [`Bash(${'x'.repeat(1200)})`, /longer than 1000/],
    ['Bash(ls) extra', /missing the closing/],
  ];
  for (const [text, message] of rejected) {
    it(`rejects ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.throws(() => parseRule(text), (error: unknown) => {
        assert.ok(error instanceof RuleSyntaxError);
        assert.equal(error.code, 'RULE_SYNTAX');
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

describe('command patterns', () => {
  const table: [string, string, boolean][] = [
    ['ls *', 'ls', true],
    ['ls *', 'ls -la', true],
    ['ls *', 'lsof', false],
    ['ls*', 'lsof', true],
    ['git *', 'git log --oneline -10', true],
    ['git *', 'gitk', false],
    ['npm test', 'npm test', true],
    ['npm test', 'npm test --watch', false],
    ['npm run test *', 'npm run test', true],
    ['npm run test *', 'npm run test:unit', false],
    ['* --help', 'git --help', true],
    ['rm -rf *', 'rm -rf /', true],
  ];
  for (const [pattern, text, expected] of table) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => {
      assert.equal(commandPatternMatches(pattern, [...text]), expected);
    });
  }
  it('lets a run-time hole stand for any text when asking whether a deny rule could match', () => {
    assert.equal(commandPatternMatches('rm -rf *', [...'rm ', HOLE, ...' /']), true);
    assert.equal(commandPatternMatches('sudo *', [...'su', HOLE, ' ', ...'ls']), true);
    assert.equal(commandPatternMatches('git push --force', [...'git push ', HOLE]), true);
    assert.equal(commandPatternMatches('git push --force', [...'git pull ', HOLE]), false);
  });
});

describe('paths', () => {
  const context = { cwd: '/workspace', home: '/home/agent' };
  const normalized: [string, string][] = [
    ['a/b', '/workspace/a/b'],
    ['./a/../b', '/workspace/b'],
    ['/workspace/../etc/shadow', '/etc/shadow'],
    ['//etc//passwd', '/etc/passwd'],
    ['/etc/./x', '/etc/x'],
    ['/../../..', '/'],
    ['~', '/home/agent'],
    ['~/.ssh/id', '/home/agent/.ssh/id'],
    ['~root/x', '/root/x'],
    ['~bob', '/home/bob'],
  ];
  for (const [input, output] of normalized) it(`normalizes ${input} to ${output}`, () => assert.equal(normalizePath(input, context), output));

  const matches: [string, string, boolean][] = [
    ['/etc/*', '/etc/hosts', true],
    ['/etc/*', '/etc/ssh/sshd_config', true],
    ['/etc/*', '/etc', false],
    ['/etc/*', '/etcetera/x', false],
    ['/workspace/**', '/workspace', true],
    ['/workspace/**', '/workspace/a/b/c', true],
    ['/workspace/**', '/workspace-evil/x', false],
    ['/workspace', '/workspace/a', true],
    ['**/.env', '/workspace/app/.env', true],
    ['**/.env', '/workspace/app/.envrc', false],
    ['/workspace/*.ts', '/workspace/a.ts', true],
    ['/workspace/*.ts', '/workspace/src/a.js', false],
    ['/a/**/z', '/a/b/c/z', true],
    ['/a/?', '/a/b', true],
    ['src/**', '/workspace/src/x', true],
    ['~/.ssh/**', '/home/agent/.ssh/id', true],
  ];
  for (const [pattern, path, expected] of matches) {
    it(`${pattern} ${expected ? 'covers' : 'does not cover'} ${path}`, () => {
      assert.equal(matchesPath(compilePathPattern(pattern, context), path), expected);
    });
  }
});
