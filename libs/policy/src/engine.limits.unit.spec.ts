import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createPolicyEngine, parseRule, type PermissionSet, type PolicyEngine } from './index.js';

/**
 * Inputs that once threw or took exponential time (found in the policy review): the engine must answer every one of
 * them quickly, and deny whatever it cannot follow.
 */
const admins: PermissionSet = {
  allow: ['Read', 'Write', 'Bash(*)'].map(parseRule),
  deny: ['Bash(rm *)', 'Bash(sudo *)', 'Write(/etc/*)'].map(parseRule),
};

const cases: [string, string, 'allow' | 'deny', RegExp][] = [
  ['2000 nested command substitutions', `${'$('.repeat(2000)}ls${')'.repeat(2000)}`, 'deny', /not understood/],
  ['3000 nested subshells', `${'('.repeat(3000)}ls${')'.repeat(3000)}`, 'deny', /not understood/],
  ['1000 nested env wrappers around rm', `${'env '.repeat(1000)}rm x`, 'deny', /Bash\(rm \*\)|not understood/],
  ['400 cds before a relative write', `${'cd a; cd b; '.repeat(400)}echo > x`, 'deny', /not understood/],
  ['400 alternative cds before a relative write', `${Array.from({ length: 400 }, (_, i) => `cd /d${i} || cd /e${i};`).join(' ')} echo > x`, 'deny', /not understood/],
  ['a few cds before a relative write', 'cd a; cd b; cd ../c; echo > x', 'allow', /allowed/],
  ['3300 harmless commands', 'ls;'.repeat(3300), 'allow', /allowed/],
];

describe('the policy engine on pathological inputs', () => {
  let engine: PolicyEngine;
  before(async () => {
    engine = await createPolicyEngine();
  });

  for (const [name, command, expected, reason] of cases) {
    it(`${name}: ${expected}, within two seconds, without throwing`, () => {
      const started = performance.now();
      const decision = engine.decide(admins, { tool: 'Bash', input: { command } });
      const elapsed = performance.now() - started;
      assert.equal(decision.decision, expected, decision.reason);
      assert.match(decision.reason, reason);
      assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
      // The parser is still usable afterwards.
      assert.equal(engine.decide(admins, { tool: 'Bash', input: { command: 'rm x' } }).rule, 'Bash(rm *)');
    });
  }
});
