export { inSpan, traceIdOf, type SpanOptions, type SpanScope } from './spans.js';
export { startTelemetry, tracingRequested, type Telemetry } from './start-telemetry.js';
