import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EVENT_TYPES, type MessageRejected, type RecordedEvent, type ReplyDelivered, type ReplyDeliveryFailed, StreamIds } from '#contracts';
import { eventually } from '#testing';
import { slackSignature } from '../../apps/gateway/src/channels/slack/slack-signature.js';
import { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, type SlackPipeline, startSlackPipeline } from './support/slack-pipeline.js';

const bounded = { timeout: 60_000 };

describe('Slack end to end: the Events API → gateway → authz → agent → reply through the Web API', () => {
  let pipeline: SlackPipeline;
  let eventSequence = 0;

  before(async () => {
    pipeline = await startSlackPipeline({ mode: 'events' });
  });
  after(() => pipeline?.stop());

  const nowSeconds = () => Math.floor(Date.now() / 1_000);

  /** Slack's POST of one event, signed with `secret` at `timestamp` unless told otherwise. */
  async function post(body: object, options: { timestamp?: number; secret?: string; headers?: Record<string, string> } = {}) {
    const raw = JSON.stringify(body);
    const timestamp = String(options.timestamp ?? nowSeconds());
    const response = await fetch(pipeline.eventsUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': slackSignature(options.secret ?? SLACK_SIGNING_SECRET, timestamp, raw),
        ...options.headers,
      },
      body: raw,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  function message(event: Record<string, unknown>, eventId = `Ev${String(++eventSequence).padStart(6, '0')}`) {
    return { type: 'event_callback', team_id: 'T0001', event_id: eventId, event_time: nowSeconds(), event };
  }

  const dm = (text: string, user = 'U12345') => ({ type: 'message', channel_type: 'im', channel: 'D0ANN', user, text, ts: `${nowSeconds()}.000${++eventSequence}` });
  const mention = (channel: string, text: string) => ({ type: 'app_mention', channel, user: 'U12345', text: `<@UBOT01> ${text}`, ts: `${nowSeconds()}.000${++eventSequence}` });

  async function waitForPosts(channel: string, count: number) {
    return eventually(`posts to ${channel}`, () => {
      const posts = pipeline.slack.postedTo(channel);
      return posts.length >= count ? posts : undefined;
    });
  }

  async function events(streamId: string): Promise<RecordedEvent[]> {
    return pipeline.store.readStream(streamId);
  }

  it('answers the URL verification challenge of a correctly signed request', bounded, async () => {
    const response = await post({ type: 'url_verification', challenge: 'c-123', token: 'legacy' });
    assert.deepEqual(response, { status: 200, body: { challenge: 'c-123' } });
  });

  it('acknowledges a correctly signed direct message once it is stored and answers it in the DM', bounded, async () => {
    const response = await post(message(dm('hello from Slack')));
    assert.deepEqual(response, { status: 200, body: { ok: true, outcome: 'published' } });
    const [posted] = await waitForPosts('D0ANN', 1);
    assert.deepEqual(posted, { channel: 'D0ANN', text: 'heard: hello from Slack', thread_ts: undefined });
  });

  it('answers a mention in an allowed channel (#engineering, resolved by name) in its thread', bounded, async () => {
    const event = mention('C0ENG', 'what is the build status?');
    await post(message(event));
    const [posted] = await waitForPosts('C0ENG', 1);
    assert.deepEqual(posted, { channel: 'C0ENG', text: 'heard: what is the build status?', thread_ts: event.ts });
  });

  it('rejects a mention in a channel that is not allowed, and records why', bounded, async () => {
    const body = message(mention('C0RANDOM', 'hello?'));
    await post(body);
    const rejected = await eventually('MessageRejected for #random', async () =>
      (await events(StreamIds.rejectedMessage(`slack:default:${body.event_id}`))).find((e) => e.type === EVENT_TYPES.MessageRejected),
    );
    assert.equal((rejected.data as MessageRejected).reason, 'channel_not_allowed');
    assert.deepEqual(pipeline.slack.postedTo('C0RANDOM'), []);
  });

  it('refuses a bad signature, a stale timestamp and a future timestamp (401), and stores none of them', bounded, async () => {
    const bad = await post(message(dm('forged')), { secret: 'not-the-signing-secret' });
    assert.equal(bad.status, 401);
    assert.equal((bad.body.error as { code: string }).code, 'bad_signature');
    const stale = await post(message(dm('replayed from yesterday')), { timestamp: nowSeconds() - 6 * 60 });
    assert.equal((stale.body.error as { code: string }).code, 'stale_timestamp');
    assert.equal(stale.status, 401);
    const future = await post(message(dm('from the future')), { timestamp: nowSeconds() + 6 * 60 });
    assert.equal(future.status, 401);
    assert.equal((future.body.error as { code: string }).code, 'future_timestamp');
    for (const response of [bad, stale, future]) assert.doesNotMatch(JSON.stringify(response.body), new RegExp(`${SLACK_SIGNING_SECRET}|${SLACK_BOT_TOKEN}`));

    const before = pipeline.slack.postedTo('D0ANN').length;
    await post(message(dm('the real one')));
    const posts = await waitForPosts('D0ANN', before + 1);
    assert.deepEqual(posts.slice(before).map((p) => p.text), ['heard: the real one']);
  });

  it('drops a retry of an event id it already stored: answered once', bounded, async () => {
    const before = pipeline.slack.postedTo('D0ANN').length;
    const body = message(dm('only once'));
    assert.equal((await post(body)).body.outcome, 'published');
    const retry = await post(body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    assert.deepEqual(retry, { status: 200, body: { ok: true, outcome: 'duplicate' } });
    await post(message(dm('and the next')));
    const posts = await waitForPosts('D0ANN', before + 2);
    assert.deepEqual(posts.slice(before).map((p) => p.text), ['heard: only once', 'heard: and the next']);
  });

  it('splits a long reply into parts in the thread, waiting out a 429 with Retry-After', bounded, async () => {
    pipeline.llm.enqueue({ reply: `${'a'.repeat(3_990)}\n\n${'b'.repeat(3_990)}` });
    pipeline.slack.failNext('chat.postMessage', { rateLimitedSeconds: 1 });
    const calls = pipeline.slack.callsOf('chat.postMessage');
    const event = mention('C0ENG', 'tell me everything');
    const body = message(event);
    await post(body);
    const posts = await waitForPosts('C0ENG', 3);
    assert.deepEqual(posts.slice(1).map((p) => [p.text.length, p.thread_ts]), [[3_990, event.ts], [3_990, event.ts]]);
    assert.equal(pipeline.slack.callsOf('chat.postMessage') - calls, 3, 'one rate-limited attempt, two parts');
    const delivered = await eventually('ReplyDelivered of the long reply', async () => {
      const all = await events(StreamIds.session('agent:default:slack:C0ENG'));
      return all.find((e) => e.type === EVENT_TYPES.ReplyDelivered && e.metadata.correlationId === `slack:default:${body.event_id}`);
    });
    assert.match((delivered.data as ReplyDelivered).platformMessageId, /^\d+\.\d+,\d+\.\d+$/);
  });

  it('records ReplyDeliveryFailed when Slack says the conversation is gone (channel_not_found)', bounded, async () => {
    pipeline.slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    const body = message(dm('are you there?', 'U67890'));
    await post(body);
    const failed = await eventually('ReplyDeliveryFailed for channel_not_found', async () => {
      const all = await events(StreamIds.session('agent:default:slack:U67890'));
      return all.find((e) => e.type === EVENT_TYPES.ReplyDeliveryFailed && e.metadata.correlationId === `slack:default:${body.event_id}`);
    });
    const data = failed.data as ReplyDeliveryFailed;
    assert.equal(data.reason, 'recipient_unreachable');
    assert.equal(data.error, 'Slack refused the message for good: channel_not_found');
  });
});
