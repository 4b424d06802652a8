import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientFrameSchema, describeProblems, summarizeToolInput } from './webchat-protocol.js';

describe('WebChat protocol', () => {
  it('summarises a tool call by its command or path, capped', () => {
    assert.equal(summarizeToolInput({ command: 'ls /workspace' }), 'ls /workspace');
    assert.equal(summarizeToolInput({ file_path: '/workspace/a.txt', content: 'x'.repeat(10_000) }), '/workspace/a.txt');
    assert.equal(summarizeToolInput({ pattern: '**/*.ts' }), '**/*.ts');
    assert.equal(summarizeToolInput({ other: 1 }), '{"other":1}');
    assert.equal(summarizeToolInput(undefined), '');
    assert.equal(summarizeToolInput({ command: 'y'.repeat(600) }).length, 500);
  });

  it('names the field that is wrong in a frame', () => {
    const problems = (frame: unknown) => {
      const parsed = ClientFrameSchema.safeParse(frame);
      assert.equal(parsed.success, false);
      return parsed.success ? '' : describeProblems(parsed.error);
    };
    assert.equal(problems({ type: 'message' }), 'text: is required');
    assert.equal(problems({ type: 'auth', token: '' }), 'token: must not be empty');
    assert.match(problems({ type: 'shout' }), /"type" is "auth", "message" or "ping"/);
    assert.match(problems({ type: 'ping', extra: true }), /extra/);
  });
});
