import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type INestApplication } from '@nestjs/common';
import { Bus, type Consumption } from '#bus';
import { traceIdOf } from '#telemetry';
import { deleteBusStreams, uniqueBusPrefix } from '#testing';
import { gatewayUrl, startGateway } from './start-gateway.js';
import {
  Downstream,
  gatewayTestConfig,
  getJson,
  postMessage,
  RecordingDeliveryRecorder,
  statusUntil,
  TestSocket,
  tokens,
} from './test-support/gateway-test-kit.js';

/** A broken gateway or bus must fail the test, not hang it. */
const bounded = { timeout: 20_000 };

describe('gateway: WebChat over HTTP and WebSocket', () => {
  const prefix = uniqueBusPrefix('gateway');
  const recorder = new RecordingDeliveryRecorder();
  let app: INestApplication;
  let baseUrl: string;
  let bus: Bus;
  let downstream: Downstream;
  let downstreamConsumption: Consumption;

  before(async () => {
    bus = await Bus.connect({ prefix, name: 'gateway-test-downstream' });
    await bus.ensureStreams();
    ({ downstream, consumption: downstreamConsumption } = await Downstream.start(bus, async (message, down) => {
      if (message.text.startsWith('silent')) return;
      if (message.text === 'use a tool') {
        await down.toolActivity(message, 'Bash', { command: 'ls /workspace' }, 'allowed', 'Bash(ls *)');
        await down.toolActivity(message, 'Bash', { command: 'rm -rf /workspace' }, 'denied', 'no allow rule matches');
      }
      await down.reply(message, `echo: ${message.text}`);
    }));
    app = await startGateway({ config: gatewayTestConfig(), port: 0, subjectPrefix: prefix, deliveryRecorder: recorder, logger: false });
    baseUrl = gatewayUrl(app);
  });

  after(async () => {
    await app?.close();
    await downstreamConsumption?.stop();
    await bus?.close();
    await deleteBusStreams(prefix);
  });

  it('listens on loopback with the port it was given', () => {
    assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('POST /api/messages publishes the message as the signed-in user and returns the reply', bounded, async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await postMessage(baseUrl, tokens.alice, JSON.stringify({ text: 'hello there' }), {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    assert.equal(response.status, 200, response.text);
    const body = response.body as { messageId: string; reply: { text: string; kind: string; replyId: string } };
    assert.equal(body.reply.text, 'echo: hello there');
    assert.equal(body.reply.kind, 'answer');

    const published = await downstream.message((message) => message.messageId === body.messageId);
    assert.equal(published.channel, 'webchat');
    assert.equal(published.account, 'default');
    assert.deepEqual(published.chat, { id: 'alice', type: 'direct' });
    assert.deepEqual(published.user, { id: 'alice', name: 'Alice' });
    assert.equal(published.text, 'hello there');

    const record = await recorder.forReply(body.reply.replyId);
    assert.equal(record.type, 'ReplyDelivered');
    assert.deepEqual(record.type === 'ReplyDelivered' ? record.delivery.routes : [], ['http']);

    // One trace from the client's request through the inbound message to the recorded delivery.
    assert.equal(traceIdOf(downstream.traceparents.get(body.messageId)), traceId);
    assert.equal(traceIdOf(record.trace.traceparent), traceId);
  });

  it('treats a repeated client message id as the same message', bounded, async () => {
    const first = await postMessage(baseUrl, tokens.alice, JSON.stringify({ text: 'once', id: 'client-42' }));
    assert.equal(first.status, 200, first.text);
    const { messageId } = first.body as { messageId: string };
    assert.equal(messageId, 'webchat:default:alice:client-42');
    await downstream.message((message) => message.messageId === messageId);
    const before = downstream.received.length;
    const socket = await TestSocket.signIn(baseUrl, tokens.alice);
    try {
      socket.send({ type: 'message', text: 'once', id: 'client-42' });
      assert.equal((await socket.next('accepted', (frame) => frame.id === 'client-42')).messageId, messageId);
      socket.send({ type: 'message', text: 'marker', id: 'marker-1' });
      await socket.next('accepted', (frame) => frame.id === 'marker-1');
      await downstream.message((message) => message.text === 'marker');
    } finally {
      await socket.close();
    }
    // Downstream consumes in stream order: had the repeat been stored, it would have arrived before the marker.
    assert.deepEqual(
      downstream.received.slice(before).map((message) => message.text),
      ['marker'],
    );
  });

  it('answers a wrong token with 401 and never echoes it', bounded, async () => {
    const wrong = 'wrong-token-that-must-not-be-echoed';
    const response = await postMessage(baseUrl, wrong, JSON.stringify({ text: 'hi' }));
    assert.equal(response.status, 401);
    assert.deepEqual((response.body as { error: { code: string } }).error.code, 'unauthorized');
    assert.equal(response.text.includes(wrong), false);
    assert.equal([...response.headers.values()].some((value) => value.includes(wrong)), false);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="clawgate"');

    const missing = await postMessage(baseUrl, undefined, JSON.stringify({ text: 'hi' }));
    assert.equal(missing.status, 401);
    // A success clears the address's failures, so later tests start afresh.
    assert.equal((await postMessage(baseUrl, tokens.alice, JSON.stringify({ text: 'reset' }))).status, 200);
  });

  it('rejects a missing or invalid body with 400 naming the field', bounded, async () => {
    const cases: [string, RegExp][] = [
      ['{}', /^text: is required$/],
      ['{"text": 5}', /^text: must be a string$/],
      ['{"text": "   "}', /^text: must not be empty$/],
      ['{"text": "hi", "colour": "red"}', /colour/],
      ['{"text": "hi", "id": "has space"}', /^id: /],
      ['[1]', /body must be a JSON object/],
      [JSON.stringify({ text: '€'.repeat(100_001) }), /^text: must be at most 100000 characters$/],
    ];
    for (const [body, message] of cases) {
      const response = await postMessage(baseUrl, tokens.alice, body);
      assert.equal(response.status, 400, body);
      const error = (response.body as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'invalid_body', body);
      assert.match(error.message, message, body);
    }
    const notJson = await postMessage(baseUrl, tokens.alice, '{"text": ');
    assert.equal(notJson.status, 400);
    assert.match((notJson.body as { error: { message: string } }).error.message, /must be JSON/);
    assert.equal(notJson.text.includes('"text": '), false, 'the parser error quoting the body is not passed on');
  });

  it('signs a WebSocket in, publishes its message as that user and delivers the reply and tool calls', bounded, async () => {
    const socket = await TestSocket.signIn(baseUrl, tokens.bob);
    try {
      assert.deepEqual(socket.frames[0], { type: 'ready', user: { id: 'bob' } });
      socket.send({ type: 'message', text: 'use a tool', id: 'm1' });
      const accepted = await socket.next('accepted');
      assert.equal(accepted.id, 'm1');

      const published = await downstream.message((message) => message.messageId === accepted.messageId);
      assert.deepEqual(published.user, { id: 'bob' });
      assert.deepEqual(published.chat, { id: 'bob', type: 'direct' });

      const reply = await socket.next('reply', (frame) => frame.messageId === accepted.messageId);
      assert.equal(reply.text, 'echo: use a tool');
      assert.equal(reply.kind, 'answer');
      const allowed = await socket.next('toolCall', (frame) => frame.stage === 'allowed');
      const denied = await socket.next('toolCall', (frame) => frame.stage === 'denied');
      assert.deepEqual(
        [allowed, denied].map(({ messageId, tool, summary, detail }) => ({ messageId, tool, summary, detail })),
        [
          { messageId: accepted.messageId, tool: 'Bash', summary: 'ls /workspace', detail: 'Bash(ls *)' },
          { messageId: accepted.messageId, tool: 'Bash', summary: 'rm -rf /workspace', detail: 'no allow rule matches' },
        ],
      );
      // Tool calls are shown before the reply that follows them.
      const order = socket.frames.filter((frame) => frame.type === 'toolCall' || frame.type === 'reply').map((frame) => frame.type);
      assert.deepEqual(order, ['toolCall', 'toolCall', 'reply']);
      const record = await recorder.forReply(reply.replyId);
      assert.deepEqual(record.type === 'ReplyDelivered' ? [record.delivery.routes, record.delivery.connections] : record, [['websocket'], 1]);
    } finally {
      await socket.close();
    }
  });

  it('delivers to every open socket of the user and to nobody else', bounded, async () => {
    const first = await TestSocket.signIn(baseUrl, tokens.alice);
    const second = await TestSocket.open(baseUrl, { Authorization: `Bearer ${tokens.alice}` });
    const other = await TestSocket.signIn(baseUrl, tokens.carol);
    try {
      await second.next('ready');
      first.send({ type: 'message', text: 'to all my tabs' });
      const accepted = await first.next('accepted');
      const [one, two] = await Promise.all([
        first.next('reply', (frame) => frame.messageId === accepted.messageId),
        second.next('reply', (frame) => frame.messageId === accepted.messageId),
      ]);
      assert.equal(one.replyId, two.replyId);
      other.send({ type: 'ping' });
      await other.next('pong');
      assert.equal(other.frames.some((frame) => frame.type === 'reply'), false);
    } finally {
      await Promise.all([first.close(), second.close(), other.close()]);
    }
  });

  it('refuses a wrong WebSocket token without echoing it, and messages before sign-in', bounded, async () => {
    const socket = await TestSocket.open(baseUrl);
    socket.send({ type: 'message', text: 'too early' });
    const early = await socket.next('error');
    assert.equal(early.code, 'auth_required');
    socket.send({ type: 'auth', token: 'not-a-real-token' });
    const refused = await socket.next('error', (frame) => frame.code === 'unauthorized');
    assert.equal(JSON.stringify(refused).includes('not-a-real-token'), false);
    assert.equal((await socket.closed).code, 4001);
    // A success clears the address's failures.
    await (await TestSocket.signIn(baseUrl, tokens.carol)).close();
  });

  it('holds a reply for a user with no open socket and delivers it when they connect', bounded, async () => {
    const reply = await downstream.reply({ messageId: 'webchat:default:carol:offline-1', user: { id: 'carol' } }, 'while you were away');
    await statusUntil(baseUrl, (status) => status.webchat.heldReplies === 1);
    const socket = await TestSocket.signIn(baseUrl, tokens.carol);
    try {
      const delivered = await socket.next('reply', (frame) => frame.replyId === reply.replyId);
      assert.equal(delivered.text, 'while you were away');
      const record = await recorder.forReply(reply.replyId);
      assert.deepEqual(record.type === 'ReplyDelivered' ? record.delivery.routes : record, ['websocket']);
      await statusUntil(baseUrl, (status) => status.webchat.heldReplies === 0);
    } finally {
      await socket.close();
    }
  });

  it('keeps operator status behind gateway.auth.token and health open', bounded, async () => {
    const health = await getJson(`${baseUrl}/api/health`);
    assert.deepEqual(health.body, { status: 'ok' });
    const denied = await getJson(`${baseUrl}/api/status`, { headers: { Authorization: `Bearer ${tokens.alice}` } });
    assert.equal(denied.status, 401, 'a WebChat token is not an operator token');
    const status = await getJson(`${baseUrl}/api/status`, { headers: { Authorization: `Bearer ${tokens.operator}` } });
    assert.equal(status.status, 200);
    assert.equal((status.body as { webchat: { users: number } }).webchat.users, 3);
    assert.equal(status.text.includes(tokens.operator), false);
  });

  it('serves the WebChat page with a strict content security policy', bounded, async () => {
    const page = await fetch(`${baseUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(await page.text(), /<script type="module" src="\/webchat.js">/);
    const script = await fetch(`${baseUrl}/webchat.js`);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.match(await script.text(), /type: 'auth'/);
  });
});

describe('gateway: timeouts and throttling', () => {
  const prefix = uniqueBusPrefix('gatewaystrict');
  let app: INestApplication;
  let baseUrl: string;

  before(async () => {
    // Nothing downstream answers on this prefix.
    app = await startGateway({
      config: gatewayTestConfig(),
      port: 0,
      subjectPrefix: prefix,
      replyTimeoutMs: 200,
      signInTimeoutMs: 200,
      deliveryRecorder: new RecordingDeliveryRecorder(),
      logger: false,
    });
    baseUrl = gatewayUrl(app);
  });

  after(async () => {
    await app?.close();
    await deleteBusStreams(prefix);
  });

  it('answers 504 with the message id when no reply comes in time', bounded, async () => {
    const response = await postMessage(baseUrl, tokens.alice, JSON.stringify({ text: 'anyone?', id: 'lonely' }));
    assert.equal(response.status, 504);
    const error = (response.body as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'reply_timeout');
    assert.match(error.message, /webchat:default:alice:lonely/);
  });

  it('closes a WebSocket that does not sign in', bounded, async () => {
    const socket = await TestSocket.open(baseUrl);
    assert.equal((await socket.closed).code, 4008);
  });

  it('slows down repeated failures from one address, right token or not, and says when to retry', bounded, async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      statuses.push((await postMessage(baseUrl, `guess-${attempt}`, JSON.stringify({ text: 'hi' }))).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    const blocked = await postMessage(baseUrl, tokens.alice, JSON.stringify({ text: 'hi' }));
    assert.equal(blocked.status, 429, 'even the right token waits');
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    assert.equal((blocked.body as { error: { code: string } }).error.code, 'too_many_attempts');

    const operator = await getJson(`${baseUrl}/api/status`, { headers: { Authorization: `Bearer ${tokens.operator}` } });
    assert.equal(operator.status, 429, 'one throttle for every door');

    const socket = await TestSocket.open(baseUrl);
    socket.send({ type: 'auth', token: tokens.alice });
    const refused = await socket.next('error');
    assert.equal(refused.code, 'too_many_attempts');
    assert.equal((await socket.closed).code, 4029);
  });
});

describe('gateway: restart', () => {
  const prefix = uniqueBusPrefix('gatewayrestart');
  const recorder = new RecordingDeliveryRecorder();
  let bus: Bus;
  let app: INestApplication | undefined;

  before(async () => {
    bus = await Bus.connect({ prefix, name: 'gateway-test-restart' });
    await bus.ensureStreams();
  });

  after(async () => {
    await app?.close();
    await bus?.close();
    await deleteBusStreams(prefix);
  });

  it('delivers replies held or published while the gateway was down once the user connects', bounded, async () => {
    const start = () => startGateway({ config: gatewayTestConfig(), port: 0, subjectPrefix: prefix, deliveryRecorder: recorder, logger: false });
    const downstream = await Downstream.start(bus, async () => undefined);
    await downstream.consumption.stop();
    app = await start();
    const held = await downstream.downstream.reply({ messageId: 'webchat:default:bob:before', user: { id: 'bob' } }, 'held before the restart');
    await statusUntil(gatewayUrl(app), (status) => status.webchat.heldReplies === 1);
    await app.close();
    const whileDown = await downstream.downstream.reply({ messageId: 'webchat:default:bob:during', user: { id: 'bob' } }, 'sent while down');

    app = await start();
    const socket = await TestSocket.signIn(gatewayUrl(app), tokens.bob);
    try {
      await socket.next('reply', (frame) => frame.replyId === held.replyId);
      await socket.next('reply', (frame) => frame.replyId === whileDown.replyId);
      const records = await Promise.all([recorder.forReply(held.replyId), recorder.forReply(whileDown.replyId)]);
      assert.deepEqual(records.map((record) => record.type), ['ReplyDelivered', 'ReplyDelivered']);
    } finally {
      await socket.close();
    }
  });
});
