import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headers } from '@nats-io/transport-node';
import { BusArgumentError } from './errors.js';
import { decodeHeaders, encodeHeaders } from './message-headers.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('message headers', () => {
  it('round-trips custom headers and trace context', () => {
    const encoded = encodeHeaders({ headers: { 'X-Tenant': 'acme' }, traceparent: TRACEPARENT, tracestate: 'vendor=1' });
    assert.deepEqual(decodeHeaders(encoded), {
      headers: { 'X-Tenant': 'acme', traceparent: TRACEPARENT, tracestate: 'vendor=1' },
      msgId: undefined,
      traceparent: TRACEPARENT,
      tracestate: 'vendor=1',
    });
  });

  it('sends no headers when there is nothing to send', () => {
    assert.equal(encodeHeaders({}), undefined);
  });

  for (const name of ['Nats-Msg-Id', 'nats-expected-stream', 'traceparent', 'TraceState']) {
    it(`refuses the reserved header ${name}`, () => {
      assert.throws(() => encodeHeaders({ headers: { [name]: 'x' } }), BusArgumentError);
    });
  }

  it('refuses header values that would break the protocol line', () => {
    assert.throws(() => encodeHeaders({ headers: { 'X-A': 'a\r\nb' } }), BusArgumentError);
    assert.throws(() => encodeHeaders({ headers: { 'X A': 'a' } }), BusArgumentError);
  });

  it('refuses an invalid traceparent and a tracestate without one', () => {
    assert.throws(() => encodeHeaders({ traceparent: 'nope' }), BusArgumentError);
    assert.throws(() => encodeHeaders({ tracestate: 'vendor=1' }), BusArgumentError);
  });

  it('drops an invalid received traceparent together with its tracestate', () => {
    const received = headers();
    received.set('traceparent', '00-zz-00f067aa0ba902b7-01');
    received.set('tracestate', 'vendor=1');
    received.set('Nats-Msg-Id', 'event-1');
    const decoded = decodeHeaders(received);
    assert.equal(decoded.msgId, 'event-1');
    assert.equal(decoded.traceparent, undefined);
    assert.equal(decoded.tracestate, undefined);
  });
});
