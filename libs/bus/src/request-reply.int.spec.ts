import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { uniqueBusPrefix } from '#testing';
import { Bus } from './bus.js';
import { BusArgumentError, BusInvalidReplyError, BusRemoteError, BusTimeoutError } from './errors.js';
import { HANDLER_FAILED_CODE, INVALID_REQUEST_CODE, type RequestContext } from './request-reply.js';
import { deferred } from './test-support/jetstream-inspector.js';

/** A broken bus must fail the test, not hang it. */
const bounded = { timeout: 15_000 };
const prefix = uniqueBusPrefix('reqreply');

const toolCallSchema = z.object({ toolCallId: z.string(), command: z.string() });
type ToolCall = z.output<typeof toolCallSchema>;
const decisionSchema = z.object({ toolCallId: z.string(), allowed: z.boolean() });
/** Short waits so that the retry tests take milliseconds. */
const quickRetries = { responseSchema: decisionSchema, timeoutMs: 200, retries: 2, backoffMs: 10 };

class ToolCallDenied extends Error {
  readonly code = 'TOOL_CALL_DENIED';
}

describe('request/reply', () => {
  let bus: Bus;

  before(async () => {
    bus = await Bus.connect({ prefix });
  });

  after(async () => {
    await bus.close();
  });

  it('returns the validated result of the responder', bounded, async () => {
    const subject = bus.subjects.authzTool();
    const decide = async (call: ToolCall) => ({ toolCallId: call.toolCallId, allowed: call.command.startsWith('git ') });
    const service = await bus.serve(subject, toolCallSchema, decide, { queue: 'authz' });
    try {
      const call = { toolCallId: 'tc-1', command: 'git status' };
      const decision = await bus.request(subject, call, { responseSchema: decisionSchema });
      assert.deepEqual(decision, { toolCallId: 'tc-1', allowed: true });
    } finally {
      await service.stop();
    }
    assert.equal(await service.closed, undefined);
    await assert.rejects(bus.request(subject, { toolCallId: 'tc-1', command: 'git status' }, quickRetries), BusTimeoutError);
  });

  it('retries when nobody answers, then throws BusTimeoutError', bounded, async () => {
    const subject = bus.subjects.sandboxExec('nobody');
    await assert.rejects(
      bus.request(subject, { toolCallId: 'tc-2', command: 'ls' }, quickRetries),
      (error: unknown) => {
        assert.ok(error instanceof BusTimeoutError);
        assert.equal(error.code, 'BUS_TIMEOUT');
        assert.equal(error.attempts, 3);
        assert.equal(error.lastFailure, 'no-responders');
        return true;
      },
    );
  });

  it('retries a responder that does not answer in time with the same payload', bounded, async () => {
    const subject = bus.subjects.sandboxExec('stuck');
    const seen: ToolCall[] = [];
    const release = deferred();
    const service = await bus.serve(subject, toolCallSchema, async (call) => {
      seen.push(call);
      await release.promise;
      return { toolCallId: call.toolCallId, allowed: true };
    }, { queue: 'sandbox' });
    try {
      await assert.rejects(
        bus.request(subject, { toolCallId: 'tc-3', command: 'ls' }, { ...quickRetries, retries: 1 }),
        (error: unknown) => error instanceof BusTimeoutError && error.attempts === 2 && error.lastFailure === 'timeout',
      );
      assert.deepEqual(seen, [
        { toolCallId: 'tc-3', command: 'ls' },
        { toolCallId: 'tc-3', command: 'ls' },
      ]);
    } finally {
      release.resolve();
      await service.stop();
    }
  });

  it('reaches the responder with the retry when the first attempt is lost', bounded, async () => {
    const subject = bus.subjects.sandboxExec('lossy');
    const seen: ToolCall[] = [];
    const firstAttemptLost = deferred();
    const service = await bus.serve(subject, toolCallSchema, async (call) => {
      seen.push(call);
      // The first reply never arrives in time: as if the request or its reply was dropped.
      if (seen.length === 1) await firstAttemptLost.promise;
      return { toolCallId: call.toolCallId, allowed: true };
    }, { queue: 'sandbox' });
    try {
      const decision = await bus.request(subject, { toolCallId: 'tc-4', command: 'ls' }, quickRetries);
      assert.deepEqual(decision, { toolCallId: 'tc-4', allowed: true });
      assert.deepEqual(seen, [
        { toolCallId: 'tc-4', command: 'ls' },
        { toolCallId: 'tc-4', command: 'ls' },
      ]);
    } finally {
      firstAttemptLost.resolve();
      await service.stop();
    }
  });

  it('turns a handler error into BusRemoteError carrying its code', bounded, async () => {
    const subject = bus.subjects.sandboxExec('failing');
    const service = await bus.serve(subject, toolCallSchema, async (call) => {
      if (call.command === 'rm -rf /') throw new ToolCallDenied('Bash(rm *) is denied');
      throw new Error('container engine unreachable');
    }, { queue: 'sandbox' });
    try {
      await assert.rejects(
        bus.request(subject, { toolCallId: 'tc-5', command: 'rm -rf /' }, { responseSchema: decisionSchema }),
        (error: unknown) => {
          assert.ok(error instanceof BusRemoteError);
          assert.equal(error.code, 'BUS_REMOTE_ERROR');
          assert.equal(error.remoteCode, 'TOOL_CALL_DENIED');
          assert.equal(error.remoteMessage, 'Bash(rm *) is denied');
          return true;
        },
      );
      await assert.rejects(
        bus.request(subject, { toolCallId: 'tc-6', command: 'ls' }, { responseSchema: decisionSchema }),
        (error: unknown) => error instanceof BusRemoteError && error.remoteCode === HANDLER_FAILED_CODE,
      );
    } finally {
      await service.stop();
    }
  });

  it('answers an invalid request with a validation error and keeps serving', bounded, async () => {
    const subject = bus.subjects.sandboxExec('strict');
    const deny = async (call: ToolCall) => ({ toolCallId: call.toolCallId, allowed: false });
    const service = await bus.serve(subject, toolCallSchema, deny, { queue: 'sandbox' });
    try {
      await assert.rejects(
        bus.request(subject, { toolCallId: 7 }, { responseSchema: decisionSchema }),
        (error: unknown) =>
          error instanceof BusRemoteError && error.remoteCode === INVALID_REQUEST_CODE && /toolCallId/.test(error.remoteMessage),
      );
      const decision = await bus.request(subject, { toolCallId: 'tc-7', command: 'ls' }, { responseSchema: decisionSchema });
      assert.equal(decision.allowed, false);
    } finally {
      await service.stop();
    }
  });

  it('rejects a result that does not match the expected schema', bounded, async () => {
    const subject = bus.subjects.sandboxExec('sloppy');
    const service = await bus.serve(subject, toolCallSchema, async () => ({ verdict: 'yes' }), { queue: 'sandbox' });
    try {
      await assert.rejects(
        bus.request(subject, { toolCallId: 'tc-8', command: 'ls' }, { responseSchema: decisionSchema }),
        BusInvalidReplyError,
      );
    } finally {
      await service.stop();
    }
  });

  it('gives each request to one member of the queue group', bounded, async () => {
    const subject = bus.subjects.sandboxExec('group');
    const handledBy: string[] = [];
    const members = await Promise.all(
      ['a', 'b'].map((member) =>
        bus.serve(subject, toolCallSchema, async (call) => {
          handledBy.push(member);
          return { toolCallId: call.toolCallId, allowed: true };
        }, { queue: 'sandbox' }),
      ),
    );
    try {
      for (let n = 0; n < 20; n++) {
        await bus.request(subject, { toolCallId: `tc-g${n}`, command: 'ls' }, { responseSchema: decisionSchema });
      }
      assert.equal(handledBy.length, 20);
    } finally {
      await Promise.all(members.map((member) => member.stop()));
    }
  });

  it('carries traceparent, tracestate and custom headers to the responder', bounded, async () => {
    const subject = bus.subjects.authzTool();
    const contexts: RequestContext[] = [];
    const service = await bus.serve(subject, toolCallSchema, async (call, context) => {
      contexts.push(context);
      return { toolCallId: call.toolCallId, allowed: true };
    }, { queue: 'authz' });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    try {
      await bus.request(subject, { toolCallId: 'tc-9', command: 'ls' }, {
        responseSchema: decisionSchema,
        traceparent,
        tracestate: 'clawgate=1',
        headers: { 'Clawgate-Agent': 'support' },
      });
      assert.equal(contexts[0]?.traceparent, traceparent);
      assert.equal(contexts[0]?.tracestate, 'clawgate=1');
      assert.equal(contexts[0]?.headers['Clawgate-Agent'], 'support');
    } finally {
      await service.stop();
    }
  });

  it('refuses impossible retry settings', bounded, async () => {
    const subject = bus.subjects.authzTool();
    await assert.rejects(bus.request(subject, {}, { responseSchema: decisionSchema, retries: -1 }), BusArgumentError);
    await assert.rejects(bus.request(subject, {}, { responseSchema: decisionSchema, timeoutMs: 0 }), BusArgumentError);
  });
});
