import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '#testing';
import { JetStreamInspector } from '../../libs/bus/src/test-support/jetstream-inspector.js';
import { type SlackPipeline, startSlackPipeline } from './support/slack-pipeline.js';
import { SlackSocketServer } from './support/slack-socket-server.js';

const bounded = { timeout: 60_000 };

describe('Slack end to end: Socket Mode against a local WebSocket server and a Web API stub', () => {
  let socket: SlackSocketServer;
  let pipeline: SlackPipeline;
  let inspector: JetStreamInspector;
  let sequence = 0;

  before(async () => {
    socket = await SlackSocketServer.start();
    pipeline = await startSlackPipeline({ mode: 'socket', socketModeUrl: socket.url });
    inspector = await JetStreamInspector.open();
    await socket.connected();
  });
  after(async () => {
    await pipeline?.stop();
    await socket?.close();
    await inspector?.close();
  });

  const ts = () => `${Math.floor(Date.now() / 1_000)}.000${++sequence}`;
  const callback = (eventId: string, event: object) => ({ type: 'event_callback', team_id: 'T0001', event_id: eventId, event });
  const storedInbound = async () => (await inspector.stream(`${pipeline.prefix.toUpperCase()}_INBOUND`)).state.messages;

  it('acknowledges a direct message only once it is stored, and answers it', bounded, async () => {
    const before = await storedInbound();
    await socket.sendEvent('env-dm-1', callback('EvS0001', { type: 'message', channel_type: 'im', channel: 'D0ANN', user: 'U12345', text: 'hi over the socket', ts: ts() }));
    assert.equal(await storedInbound(), before + 1, 'stored by the time Slack had its ack');
    const posts = await eventually('the answer in the DM', () => (pipeline.slack.postedTo('D0ANN').length >= 1 ? pipeline.slack.postedTo('D0ANN') : undefined));
    assert.deepEqual(posts.map((p) => p.text), ['heard: hi over the socket']);
  });

  it('answers a mention in #engineering in its thread', bounded, async () => {
    const mentionTs = ts();
    await socket.sendEvent('env-mention-1', callback('EvS0002', { type: 'app_mention', channel: 'C0ENG', user: 'U67890', text: '<@UBOT01> status?', ts: mentionTs }));
    const [posted] = await eventually('the answer in #engineering', () => (pipeline.slack.postedTo('C0ENG').length >= 1 ? pipeline.slack.postedTo('C0ENG') : undefined));
    assert.deepEqual(posted, { channel: 'C0ENG', text: 'heard: status?', thread_ts: mentionTs });
  });

  it('answers an event Slack sends again (a new envelope, the same event_id) once', bounded, async () => {
    const before = pipeline.slack.postedTo('D0ANN').length;
    const event = callback('EvS0003', { type: 'message', channel_type: 'im', channel: 'D0ANN', user: 'U12345', text: 'once', ts: ts() });
    await socket.sendEvent('env-once-1', event);
    await socket.sendEvent('env-once-2', event, 1);
    await socket.sendEvent('env-next', callback('EvS0004', { type: 'message', channel_type: 'im', channel: 'D0ANN', user: 'U12345', text: 'next', ts: ts() }));
    const posts = await eventually('both answers in the DM', () => (pipeline.slack.postedTo('D0ANN').length >= before + 2 ? pipeline.slack.postedTo('D0ANN') : undefined));
    assert.deepEqual(posts.slice(before).map((p) => p.text), ['heard: once', 'heard: next']);
  });
});
