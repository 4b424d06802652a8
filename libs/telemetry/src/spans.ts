import { context, type Attributes, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { childTraceparent } from '#bus';

const propagator = new W3CTraceContextPropagator();
const tracer = trace.getTracer('clawgate');

export interface SpanOptions {
  /** The `traceparent` received with the work (NATS header, HTTP header, event metadata). */
  traceparent?: string | undefined;
  tracestate?: string | undefined;
  kind?: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  attributes?: Attributes;
}

export interface SpanScope {
  span: Span;
  /** The `traceparent` to pass on (NATS headers, event metadata): this span's, inside the received trace. */
  traceparent: string;
  tracestate: string | undefined;
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
} as const;

/**
 * Runs `work` in a span that continues the received trace. The span ends when `work` settles; an error marks
 * it failed and is rethrown. Without a started SDK the span records nothing, yet `traceparent` is still a
 * valid child in the same trace, so one trace id follows a message through every service and event.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (scope: SpanScope) => Promise<T>): Promise<T> {
  const carrier: Record<string, string> = {};
  if (options.traceparent) carrier.traceparent = options.traceparent;
  if (options.tracestate) carrier.tracestate = options.tracestate;
  const parent = propagator.extract(context.active(), carrier, {
    get: (c, key) => c[key],
    keys: (c) => Object.keys(c),
  });
  const span = tracer.startSpan(name, { kind: KINDS[options.kind ?? 'internal'], ...(options.attributes ? { attributes: options.attributes } : {}) }, parent);
  const active = trace.setSpan(parent, span);
  const out: Record<string, string> = {};
  if (span.isRecording()) {
    propagator.inject(active, out, { set: (c, key, value) => (c[key] = value) });
  }
  const scope: SpanScope = {
    span,
    // A non-recording span has its parent's ids; make a child id so hops stay distinguishable.
    traceparent: out.traceparent ?? childTraceparent(options.traceparent),
    tracestate: out.tracestate ?? options.tracestate,
  };
  try {
    return await context.with(active, () => work(scope));
  } catch (error) {
    span.recordException(error instanceof Error ? error : new Error(String(error)));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** The trace id of a `traceparent`, for event metadata and the compliance views. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/.exec(traceparent ?? '');
  return match?.[1];
}
