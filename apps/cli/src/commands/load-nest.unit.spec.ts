import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLogLevel } from '#lifecycle/log-level';
import { DeferredDateTimeFormat, loadNestCommon } from './load-nest.js';

const options: Intl.DateTimeFormatOptions = { year: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', day: '2-digit', month: '2-digit', timeZone: 'UTC' };
const moment = Date.UTC(2026, 11, 8, 10, 15, 30);

describe('loading Nest without its eager date formatters', () => {
  it('a deferred formatter answers as the real one, and creates it only when first used', () => {
    const real = new Intl.DateTimeFormat('en-US', options);
    const deferred = new DeferredDateTimeFormat(Intl.DateTimeFormat, 'en-US', options);
    assert.equal(deferred.created, false);
    assert.equal(deferred.format(moment), real.format(moment));
    assert.equal(deferred.created, true);
    assert.deepEqual(deferred.formatToParts(moment), real.formatToParts(moment));
    assert.equal(deferred.formatRange(moment, moment + 3_600_000), real.formatRange(moment, moment + 3_600_000));
    assert.deepEqual(deferred.formatRangeToParts(moment, moment + 60_000), real.formatRangeToParts(moment, moment + 60_000));
    assert.deepEqual(deferred.resolvedOptions(), real.resolvedOptions());
  });

  it('a bad locale fails on first use, as the real constructor would have', () => {
    const deferred = new DeferredDateTimeFormat(Intl.DateTimeFormat, 'not a locale!');
    assert.throws(() => deferred.format(moment), RangeError);
  });

  it('Intl.DateTimeFormat is the real one again once Nest is loaded, and Nest works', async () => {
    const original = Intl.DateTimeFormat;
    await loadNestCommon();
    assert.equal(Intl.DateTimeFormat, original);
    assert.ok(new Intl.DateTimeFormat('en-US') instanceof original);
    const { Logger } = await import('@nestjs/common');
    assert.equal(typeof Logger.getTimestamp(), 'string');
  });
});

describe('CLAWGATE_LOG_LEVEL', () => {
  it('is info when unset or empty, and any of the four levels in any case', () => {
    assert.equal(parseLogLevel(undefined), 'info');
    assert.equal(parseLogLevel(''), 'info');
    assert.equal(parseLogLevel('DEBUG'), 'debug');
    assert.equal(parseLogLevel('warn'), 'warn');
    assert.equal(parseLogLevel(' error\r'), 'error', 'blanks around it, as a CRLF env file leaves them');
  });

  it('refuses anything else, naming the variable, the levels and the value', () => {
    assert.throws(() => parseLogLevel('verbose'), { message: 'CLAWGATE_LOG_LEVEL must be one of error, warn, info, debug, not "verbose"' });
  });
});
