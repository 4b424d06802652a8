import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { inSpan, startTelemetry, traceIdOf, tracingRequested, type Telemetry } from './index.js';

const RECEIVED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('tracingRequested', () => {
  it('follows the standard OTEL_* variables', () => {
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), false);
    assert.equal(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }), false);
  });
});

describe('without OTEL_* variables', () => {
  let telemetry: Telemetry;
  before(async () => {
    telemetry = await startTelemetry('clawgate-test', {});
  });

  it('starts no SDK: the global tracer provider stays the no-op one', () => {
    assert.equal(telemetry.enabled, false);
    assert.equal(trace.getTracer('x').startSpan('probe').isRecording(), false);
  });

  it('still carries the received trace on, with a new span id for this hop', async () => {
    const passedOn = await inSpan('authorize', { traceparent: RECEIVED }, async (scope) => {
      assert.equal(scope.span.isRecording(), false);
      return scope.traceparent;
    });
    assert.equal(traceIdOf(passedOn), '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.notEqual(passedOn, RECEIVED);
  });

  it('starts a trace when none was received', async () => {
    const passedOn = await inSpan('inbound', {}, async (scope) => scope.traceparent);
    assert.match(passedOn, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('rethrows what the work throws', async () => {
    await assert.rejects(inSpan('failing', { traceparent: RECEIVED }, () => Promise.reject(new Error('boom'))), /boom/);
  });
});
