import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { webApi } from '@slack/bolt';
import { SlackChannelNames } from '../../apps/gateway/src/channels/slack/slack-channel-names.js';
import { SlackWebApiStub } from './support/slack-web-api-stub.js';

describe('SlackChannelNames: #names for allowedChannels, looked up with conversations.info', () => {
  let slack: SlackWebApiStub;

  before(async () => {
    slack = await SlackWebApiStub.start({ C0ENG: 'engineering' });
  });
  after(() => slack?.close());

  it('asks Slack once per channel within 10 minutes, and again after', async () => {
    let now = 1_000_000;
    const names = new SlackChannelNames(new webApi.WebClient('xoxb-names-test', { slackApiUrl: slack.apiUrl, logLevel: webApi.LogLevel.ERROR }), () => now);
    assert.equal(await names.nameOf('C0ENG'), 'engineering');
    assert.equal(await names.nameOf('C0ENG'), 'engineering');
    assert.equal(slack.callsOf('conversations.info'), 1);
    now += 10 * 60_000 + 1;
    assert.equal(await names.nameOf('C0ENG'), 'engineering');
    assert.equal(slack.callsOf('conversations.info'), 2);
  });

  it('gives no name for a channel Slack does not know, so only id entries can match it', async () => {
    const names = new SlackChannelNames(new webApi.WebClient('xoxb-names-test', { slackApiUrl: slack.apiUrl, logLevel: webApi.LogLevel.ERROR, retryConfig: { retries: 0 } }));
    assert.equal(await names.nameOf('C0GONE'), undefined);
  });
});
