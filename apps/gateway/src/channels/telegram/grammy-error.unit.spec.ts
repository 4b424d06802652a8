import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrammyError, HttpError } from 'grammy';
import { isGrammyError } from './grammy-error.js';

describe('isGrammyError', () => {
  it("tells grammY's Bot API refusals from network failures and other errors", () => {
    const refusal = new GrammyError('Call to sendMessage failed!', { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 3 } }, 'sendMessage', {});
    assert.equal(isGrammyError(refusal), true);
    assert.equal(isGrammyError(new HttpError('Network request for sendMessage failed!', new Error('ECONNREFUSED'))), false);
    assert.equal(isGrammyError(Object.assign(new Error('x'), { name: 'GrammyError' })), false);
    assert.equal(isGrammyError({ name: 'GrammyError', error_code: 429, parameters: {} }), false);
  });
});
