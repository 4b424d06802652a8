import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthThrottle } from './auth-throttle.js';

function throttleWithClock() {
  const clock = { now: 1_000_000 };
  const throttle = new AuthThrottle(
    { freeFailures: 3, baseDelayMs: 1_000, maxDelayMs: 8_000, forgetAfterMs: 60_000, maxClients: 2 },
    () => clock.now,
  );
  return { throttle, clock };
}

describe('AuthThrottle', () => {
  it('lets a client fail a few times, then makes it wait exponentially longer', () => {
    const { throttle, clock } = throttleWithClock();
    for (let i = 0; i < 3; i++) assert.deepEqual(throttle.recordFailure('10.0.0.1'), { allowed: true });
    assert.deepEqual(throttle.recordFailure('10.0.0.1'), { allowed: false, retryAfterSeconds: 1 });
    assert.deepEqual(throttle.check('10.0.0.1'), { allowed: false, retryAfterSeconds: 1 });
    clock.now += 1_000;
    assert.deepEqual(throttle.check('10.0.0.1'), { allowed: true });
    assert.deepEqual(throttle.recordFailure('10.0.0.1'), { allowed: false, retryAfterSeconds: 2 });
    clock.now += 2_000;
    assert.deepEqual(throttle.recordFailure('10.0.0.1'), { allowed: false, retryAfterSeconds: 4 });
    clock.now += 4_000;
    assert.deepEqual(throttle.recordFailure('10.0.0.1'), { allowed: false, retryAfterSeconds: 8 });
    clock.now += 8_000;
    assert.deepEqual(throttle.recordFailure('10.0.0.1'), { allowed: false, retryAfterSeconds: 8 }, 'capped');
  });

  it('keeps clients apart and forgets a client after a success or a quiet period', () => {
    const { throttle, clock } = throttleWithClock();
    for (let i = 0; i < 4; i++) throttle.recordFailure('10.0.0.1');
    assert.equal(throttle.check('10.0.0.2').allowed, true);
    clock.now += 1_000;
    throttle.recordSuccess('10.0.0.1');
    assert.deepEqual(throttle.recordFailure('10.0.0.1'), { allowed: true });

    for (let i = 0; i < 3; i++) throttle.recordFailure('10.0.0.3');
    clock.now += 60_001;
    assert.deepEqual(throttle.recordFailure('10.0.0.3'), { allowed: true }, 'the old failures were forgotten');
  });

  it('remembers a bounded number of clients', () => {
    const { throttle } = throttleWithClock();
    for (let i = 0; i < 4; i++) throttle.recordFailure('a');
    throttle.recordFailure('b');
    throttle.recordFailure('c');
    assert.equal(throttle.check('a').allowed, true, 'the oldest client was evicted');
  });
});
