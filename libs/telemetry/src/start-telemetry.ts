export interface Telemetry {
  /** True when an SDK was started and spans are recorded and exported. */
  readonly enabled: boolean;
  /** Flushes pending spans and stops the SDK (a no-op when it never started). */
  shutdown(): Promise<void>;
}

/**
 * Whether the environment asks for traces to be exported, by the standard variables: an OTLP endpoint or an
 * explicit `OTEL_TRACES_EXPORTER` other than `none`, and no `OTEL_SDK_DISABLED=true`.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  if (exporters.length > 0) return !exporters.every((e) => e === 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

let started: Promise<Telemetry> | undefined;

/**
 * Starts the OpenTelemetry SDK for one service, configured entirely by the standard `OTEL_*` variables
 * (endpoint, protocol, headers, sampler, resource attributes). Call it before Nest starts. Without those
 * variables nothing starts: the API stays a no-op and tracing costs nothing; trace context is still carried
 * across NATS and into event metadata (see `inSpan`). Idempotent within a process.
 *
 * The SDK is imported only when tracing is asked for: with its exporters it adds ~70 MB to a service's RSS,
 * which a service that exports nothing should not carry.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  if (started) return started;
  if (!tracingRequested(env)) {
    started = Promise.resolve({ enabled: false, shutdown: () => Promise.resolve() });
    return started;
  }
  const starting = startSdk(serviceName, env);
  started = starting;
  starting.catch(() => {
    if (started === starting) started = undefined;
  });
  return starting;
}

async function startSdk(serviceName: string, env: NodeJS.ProcessEnv): Promise<Telemetry> {
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
    // Traces only: metrics and logs go elsewhere, and instrumenting every library is not free.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () => (stopping ??= sdk.shutdown().finally(() => (started = undefined))),
  };
}
