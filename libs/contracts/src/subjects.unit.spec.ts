import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidSubjectPrefixError, InvalidSubjectTokenError, Subjects } from './subjects.js';

describe('Subjects', () => {
  it('builds the subjects of DESIGN.md §1 under the default prefix', () => {
    const subjects = new Subjects();
    assert.equal(subjects.inbound('telegram'), 'clawgate.inbound.telegram');
    assert.equal(subjects.run('support'), 'clawgate.run.support');
    assert.equal(subjects.outbound('slack', 'T024BE7LD'), 'clawgate.outbound.slack.T024BE7LD');
    assert.equal(subjects.outboundForChannel('slack'), 'clawgate.outbound.slack.*');
    assert.equal(subjects.authzTool(), 'clawgate.authz.tool');
    assert.equal(subjects.sandboxExec('support'), 'clawgate.sandbox.exec.support');
  });

  it('names one stream per flow after the prefix', () => {
    assert.deepEqual(new Subjects('t_bus-1').streams(), [
      { flow: 'inbound', name: 'T_BUS-1_INBOUND', subject: 't_bus-1.inbound.>' },
      { flow: 'run', name: 'T_BUS-1_RUN', subject: 't_bus-1.run.>' },
      { flow: 'outbound', name: 'T_BUS-1_OUTBOUND', subject: 't_bus-1.outbound.>' },
    ]);
  });

  for (const token of ['a.b', '*', 'a>', 'with space', 'tab\there', 'nl\n', '', 'nbsp\u00a0x', 'del\u007f']) {
    it(`rejects the token ${JSON.stringify(token)}`, () => {
      assert.throws(() => new Subjects().run(token), (error: unknown) => {
        assert.ok(error instanceof InvalidSubjectTokenError);
        assert.equal(error.code, 'INVALID_SUBJECT_TOKEN');
        assert.equal(error.role, 'agent id');
        return true;
      });
    });
  }

  it('checks every token of a subject', () => {
    assert.throws(() => new Subjects().outbound('slack', 'a.b'), InvalidSubjectTokenError);
    assert.throws(() => new Subjects().inbound('>'), InvalidSubjectTokenError);
    assert.throws(() => new Subjects().sandboxExec('a*'), InvalidSubjectTokenError);
  });

  it('accepts ids with dashes, underscores, colons and non-ASCII letters', () => {
    assert.equal(new Subjects().run('agent_1-a:b'), 'clawgate.run.agent_1-a:b');
    assert.equal(new Subjects().inbound('聊天'), 'clawgate.inbound.聊天');
  });

  for (const prefix of ['', 'Clawgate', '1abc', 'a.b', 'a b', 'x'.repeat(33)]) {
    it(`rejects the prefix ${JSON.stringify(prefix)}`, () => {
      assert.throws(() => new Subjects(prefix), (error: unknown) => {
        assert.ok(error instanceof InvalidSubjectPrefixError);
        assert.equal(error.code, 'INVALID_SUBJECT_PREFIX');
        return true;
      });
    });
  }
});
