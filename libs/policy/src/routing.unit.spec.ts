import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type MessageAddress } from '#contracts';
import { loadConfig, parseConfigText } from '#config';
import { repoRoot } from '#testing';
import { resolveAgentForMessage, sessionKeyFor } from './routing.js';

const article = loadConfig({ file: path.join(repoRoot, 'clawgate.example.json5'), env: { CLAWGATE_GATEWAY_TOKEN: 'x'.repeat(40), CLAWGATE_WEBCHAT_TOKEN: 'w'.repeat(40) } });

function dm(channel: MessageAddress['channel'], user: string, account = 'default'): MessageAddress {
  return { channel, account, chat: { id: user, type: 'direct' }, user: { id: user } };
}
function group(channel: MessageAddress['channel'], chatId: string, user: string, name?: string, account = 'default'): MessageAddress {
  return { channel, account, chat: { id: chatId, type: 'group', ...(name ? { name } : {}) }, user: { id: user } };
}

describe('routing on the article\'s configuration', () => {
  it('gives the admin in admins.allowedUsers the admins agent', () => {
    const route = resolveAgentForMessage(article, dm('telegram', '123456789'));
    assert.deepEqual(route, {
      outcome: 'authorized',
      agentId: 'admins',
      role: 'admins',
      sessionKey: 'agent:admins:telegram:123456789',
      allowlistEntry: '123456789',
      matchedBy: 'allowedUsers',
    });
  });

  it('gives other allowed Telegram users the base agent', () => {
    const route = resolveAgentForMessage(article, dm('telegram', '987654321'));
    assert.equal(route.outcome === 'authorized' && route.agentId, 'default');
    assert.equal(route.outcome === 'authorized' && route.matchedBy, 'base');
  });

  it('rejects a Telegram user outside the allowlist, without telling them by default', () => {
    assert.deepEqual(resolveAgentForMessage(article, dm('telegram', '555')), {
      outcome: 'rejected',
      reason: 'user_not_allowed',
      detail: 'user 555 is not in the telegram allowlist',
      notify: false,
    });
  });

  it('admits an allowed Slack user in an allowed channel named by #name', () => {
    const route = resolveAgentForMessage(article, group('slack', 'C0ENG', 'U12345', 'engineering'));
    assert.equal(route.outcome, 'authorized');
    assert.equal(route.outcome === 'authorized' && route.sessionKey, 'agent:default:slack:C0ENG');
  });

  it('rejects an allowed Slack user in a channel that is not allowed', () => {
    const route = resolveAgentForMessage(article, group('slack', 'C0RANDOM', 'U12345', 'random'));
    assert.equal(route.outcome === 'rejected' && route.reason, 'channel_not_allowed');
  });

  it('rejects a Slack user outside allowedUsers even in an allowed channel', () => {
    const route = resolveAgentForMessage(article, group('slack', 'C0ENG', 'U99999', 'engineering'));
    assert.equal(route.outcome === 'rejected' && route.reason, 'user_not_allowed');
  });

  it('admits Slack direct messages from allowed users', () => {
    assert.equal(resolveAgentForMessage(article, dm('slack', 'U67890')).outcome, 'authorized');
  });

  it('rejects a channel or account that is not configured', () => {
    assert.equal(resolveAgentForMessage(article, dm('webchat', 'alice')).outcome === 'rejected', true);
    const route = resolveAgentForMessage(article, dm('telegram', '123456789', 'other_bot'));
    assert.equal(route.outcome === 'rejected' && route.reason, 'channel_not_allowed');
  });
});

describe('routing with one bot per person (the article\'s scheme B)', () => {
  const config = parseConfigText(
    `{
      channels: { telegram: { accounts: {
        alice_bot: { botToken: "a", allowedUsers: [1001] },
        bob_bot: { botToken: "b", allowedUsers: [1002] },
      } } },
      agents: {
        default: { permissions: { allow: ["Read"] } },
        alice: { bindings: [{ channel: "telegram", account: "alice_bot" }], permissions: { allow: ["Read"] } },
        bob: { bindings: [{ channel: "telegram", account: "bob_bot" }], allowedUsers: [1002], permissions: { allow: ["Read", "Bash(*)"] } },
      },
    }`,
    'scheme-b',
    {},
  );

  it('answers each person on their own bot with their own agent', () => {
    const alice = resolveAgentForMessage(config, dm('telegram', '1001', 'alice_bot'));
    const bob = resolveAgentForMessage(config, dm('telegram', '1002', 'bob_bot'));
    assert.equal(alice.outcome === 'authorized' && alice.agentId, 'alice');
    assert.equal(alice.outcome === 'authorized' && alice.matchedBy, 'binding');
    assert.equal(bob.outcome === 'authorized' && bob.agentId, 'bob');
  });

  it('keeps one person off the other\'s bot', () => {
    const route = resolveAgentForMessage(config, dm('telegram', '1001', 'bob_bot'));
    assert.equal(route.outcome === 'rejected' && route.reason, 'user_not_allowed');
  });
});

describe('routing fails closed', () => {
  it('admits nobody when an allowlist is empty or absent', () => {
    const config = parseConfigText('{ channels: { telegram: { botToken: "t", allowedUsers: [] }, webchat: { users: { a: { token: "x" } } } }, agents: { default: {} } }', 'c', {});
    assert.equal(resolveAgentForMessage(config, dm('telegram', '1')).outcome, 'rejected');
    assert.equal(resolveAgentForMessage(config, dm('webchat', 'a')).outcome, 'rejected');
  });

  it('admits everyone with "*"', () => {
    const config = parseConfigText('{ channels: { telegram: { botToken: "t", allowedUsers: ["*"] } }, agents: { default: {} } }', 'c', {});
    const route = resolveAgentForMessage(config, dm('telegram', '42'));
    assert.equal(route.outcome === 'authorized' && route.allowlistEntry, '*');
  });

  it('rejects with no_agent_bound when no agent takes an admitted sender', () => {
    const config = parseConfigText('{ channels: { telegram: { botToken: "t", allowedUsers: [1, 2] } }, agents: { ops: { allowedUsers: [1] } } }', 'c', {});
    assert.equal(resolveAgentForMessage(config, dm('telegram', '1')).outcome, 'authorized');
    const route = resolveAgentForMessage(config, dm('telegram', '2'));
    assert.equal(route.outcome === 'rejected' && route.reason, 'no_agent_bound');
  });

  it('prefers a chat binding over a channel binding', () => {
    const config = parseConfigText(
      `{ channels: { slack: { allowedChannels: ["C0ALL", "#ai-assistant"], allowedUsers: ["*"] } },
         agents: { all: { bindings: [{ channel: "slack" }] }, public: { bindings: [{ channel: "slack", chat: "#ai-assistant" }] } } }`,
      'c',
      {},
    );
    const inPublic = resolveAgentForMessage(config, group('slack', 'C0PUB', 'U1', 'ai-assistant'));
    const elsewhere = resolveAgentForMessage(config, group('slack', 'C0ALL', 'U1'));
    assert.equal(inPublic.outcome === 'authorized' && inPublic.agentId, 'public');
    assert.equal(elsewhere.outcome === 'authorized' && elsewhere.agentId, 'all');
  });

  it('keys group conversations on the chat and direct ones on the person', () => {
    assert.equal(sessionKeyFor('a', group('telegram', '-100', '7')), 'agent:a:telegram:-100');
    assert.equal(sessionKeyFor('a', dm('telegram', '7')), 'agent:a:telegram:7');
  });
});
