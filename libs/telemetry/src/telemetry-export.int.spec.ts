import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { inSpan, startTelemetry, traceIdOf, type Telemetry } from './index.js';

const RECEIVED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; status?: { code?: number } }
interface OtlpExport { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] }

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('with an OTLP endpoint in the environment', () => {
  const exports: OtlpExport[] = [];
  const collector = createServer((request, response) => {
    void body(request).then((text) => {
      if (request.url === '/v1/traces') exports.push(JSON.parse(text) as OtlpExport);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let telemetry: Telemetry;

  before(async () => {
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    };
    Object.assign(process.env, env);
    telemetry = await startTelemetry('clawgate-test');
  });
  after(() => new Promise<void>((resolve) => collector.close(() => resolve())));

  it('exports spans that continue the received trace, parent and child linked, errors marked', async () => {
    assert.equal(telemetry.enabled, true);
    let outer = '';
    await inSpan('authz.message', { traceparent: RECEIVED, kind: 'consumer' }, async (scope) => {
      outer = scope.traceparent;
      await inSpan('authz.append', { traceparent: scope.traceparent }, () => Promise.resolve());
      await assert.rejects(inSpan('authz.publish', { traceparent: scope.traceparent }, () => Promise.reject(new Error('nats down'))));
    });
    await telemetry.shutdown();

    const spans = exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
    const byName = new Map(spans.map((s) => [s.name, s]));
    const message = byName.get('authz.message');
    assert.ok(message, `spans exported: ${[...byName.keys()].join(', ')}`);
    assert.equal(message.traceId, traceIdOf(RECEIVED));
    assert.equal(message.parentSpanId, '00f067aa0ba902b7');
    assert.equal(byName.get('authz.append')?.parentSpanId, message.spanId);
    assert.equal(outer.split('-')[2], message.spanId);
    assert.equal(byName.get('authz.publish')?.status?.code, 2);
    const serviceNames = exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.resource.attributes.filter((a) => a.key === 'service.name').map((a) => a.value.stringValue)));
    assert.ok(serviceNames.includes('clawgate-test'));
  });
});
