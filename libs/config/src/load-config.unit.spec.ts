import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fixturePath, repoRoot } from '#testing';
import { ConfigError, loadConfig, parseConfigText, type ResolvedConfig } from './index.js';

const seedDir = fixturePath('seed');
const seedBlocks = readdirSync(seedDir).filter((f) => f.endsWith('.json5')).sort();
const exampleFile = path.join(repoRoot, 'clawgate.example.json5');
const gatewayToken = 'gw-token-4f1c9a7d2b8e6f3a0c5d9e1b7a4f2c8d';
const webchatToken = 'wc-token-9e2d7c1b4a8f3e6d0c5b9a2f7e1d4c8b';

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, 'broken.json5', env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('the file was accepted');
}

describe('the seed article\'s configuration blocks', () => {
  it('has all six blocks as fixtures', () => assert.equal(seedBlocks.length, 6));

  for (const block of seedBlocks) {
    it(`loads ${block} on its own`, () => {
      const config = loadConfig({ file: path.join(seedDir, block), env: {} });
      assert.equal(config.source, path.join(seedDir, block));
    });
  }

  it('loads clawgate.example.json5, which holds every block together', () => {
    const config = loadConfig({ file: exampleFile, env: { CLAWGATE_GATEWAY_TOKEN: gatewayToken, CLAWGATE_WEBCHAT_TOKEN: webchatToken } });
    assert.deepEqual(config.accounts.map((a) => `${a.channel}/${a.account}`), ['telegram/default', 'slack/default', 'webchat/default']);
    assert.deepEqual(config.accounts[0]!.allowedUsers, ['123456789', '987654321', '111222333']);
    assert.deepEqual(config.accounts[1]!.allowedChats, ['#engineering', '#ai-requests']);
    assert.equal(config.gateway.authToken, gatewayToken);
    assert.equal(config.defaultProvider, 'ollama-internal');
    assert.equal(config.defaultModel, 'qwen2.5-coder:32b');
    assert.equal(config.logging.auditLog.path, '/var/log/openclaw/audit.jsonl');
    assert.equal(config.logging.auditLog.includeMessages, true);
  });

  it('gives admins their own allow list and the base layer\'s deny list', () => {
    const config = loadConfig({ file: exampleFile, env: { CLAWGATE_GATEWAY_TOKEN: gatewayToken, CLAWGATE_WEBCHAT_TOKEN: webchatToken } });
    const admins = config.agents.find((a) => a.id === 'admins');
    assert.ok(admins);
    assert.deepEqual(admins.allowedUsers, ['123456789']);
    assert.deepEqual(admins.permissions.allow.map((r) => r.text), ['Read', 'Write', 'Bash(*)']);
    assert.deepEqual(admins.permissions.deny.map((r) => r.text), ['Bash(rm *)', 'Bash(sudo *)', 'Write(/etc/*)']);
    assert.deepEqual(config.baseAgent?.permissions.allow.map((r) => r.text), ['Read', 'Bash(git *)', 'Bash(npm test)']);
  });

  it('merges agents.default and agents.defaults into one base layer and gives every agent its sandbox', () => {
    const config = loadConfig({ file: exampleFile, env: { CLAWGATE_GATEWAY_TOKEN: gatewayToken, CLAWGATE_WEBCHAT_TOKEN: webchatToken } });
    for (const agent of [config.baseAgent, ...config.agents] as ResolvedConfig['agents'][number][]) {
      assert.equal(agent.sandbox?.image, 'node:20-slim', agent.id);
      assert.equal(agent.sandbox?.network, 'none');
      assert.equal(agent.sandbox?.readonlyRootfs, false);
      assert.equal(agent.sandbox?.memoryBytes, 512 * 1024 * 1024);
      assert.equal(agent.sandbox?.nanoCpus, 1e9);
      assert.deepEqual(agent.sandbox?.mounts, [{ host: '/home/user/projects', container: '/workspace', readonly: false }]);
    }
  });

  it('keeps the comments of the article\'s audit-log block loadable (JSON5)', () => {
    assert.match(readFileSync(path.join(seedDir, '05-audit-log.json5'), 'utf8'), /\/\/ 记录对话内容/);
    assert.match(readFileSync(exampleFile, 'utf8'), /\/\/ 记录工具调用/);
  });
});

describe('environment substitution', () => {
  it('replaces ${VAR} anywhere in a string and keeps $${ literal', () => {
    const config = parseConfigText(
      '{ providers: [{ name: "p", type: "openai-compatible", baseUrl: "http://${HOST}:11434/v1", models: ["m$${x}"] }] }',
      'inline',
      { HOST: '10.1.2.3' },
    );
    assert.equal(config.providers[0]!.baseUrl, 'http://10.1.2.3:11434/v1');
    assert.deepEqual(config.providers[0]!.models, ['m${x}']);
  });

  it('records which paths came from the environment', () => {
    const config = loadConfig({ file: exampleFile, env: { CLAWGATE_GATEWAY_TOKEN: gatewayToken, CLAWGATE_WEBCHAT_TOKEN: webchatToken } });
    assert.ok(config.fromEnvironment.has('gateway.auth.token'));
    assert.ok(!config.fromEnvironment.has('channels.telegram.botToken'));
  });
});

describe('files Clawgate must refuse', () => {
  const secret = 'xoxb-SECRET-9d8c7b6a5f4e3d2c1b0a';
  const provider = (over: string) =>
    `{ providers: [{ name: "ollama-internal", type: "openai-compatible", baseUrl: "http://10.0.0.5:11434/v1", apiKey: "${secret}", models: ["qwen"] ${over} }] `;
  const cases: { name: string; text: string; env?: NodeJS.ProcessEnv; expected: string | RegExp }[] = [
    {
      name: 'a typo in an allowlist key',
      text: `{ channels: { telegram: { botToken: "${secret}", allowedUser: [1] } } }`,
      expected: 'channels.telegram.allowedUser: unknown key (did you mean "allowedUsers"?)',
    },
    {
      name: 'a typo at the top level',
      text: '{ channel: {} }',
      expected: 'channel: unknown key (did you mean "channels"?)',
    },
    {
      name: 'an allowlist that is not a list',
      text: `{ channels: { telegram: { botToken: "${secret}", allowedUsers: "123456789" } } }`,
      expected: 'channels.telegram.allowedUsers: Invalid input: expected array, received string',
    },
    {
      name: 'a Telegram user id that is not numeric',
      text: `{ channels: { telegram: { botToken: "${secret}", allowedUsers: ["alice"] } } }`,
      expected: 'channels.telegram.allowedUsers[0]: must be a numeric Telegram user id',
    },
    {
      name: 'a user id of the wrong type',
      text: `{ channels: { slack: { allowedUsers: [true] } } }`,
      expected: 'channels.slack.allowedUsers[0]: must be a user id (a number or a string)',
    },
    {
      name: 'a provider URL that is not a URL',
      text: `{ providers: [{ name: "p", type: "openai-compatible", baseUrl: "192.168.1.100:11434", apiKey: "${secret}", models: ["m"] }] }`,
      expected: 'providers[0].baseUrl: must be an http:// or https:// URL',
    },
    {
      name: 'a provider type Clawgate does not speak',
      text: `{ providers: [{ name: "p", type: "anthropic", baseUrl: "http://10.0.0.1/v1", models: ["m"] }] }`,
      expected: 'providers[0].type: Invalid input: expected "openai-compatible"',
    },
    {
      name: 'negative sandbox memory',
      text: '{ agents: { defaults: { sandbox: { type: "docker", docker: { image: "x", resources: { memory: "-512m" } } } } } }',
      expected: 'agents.defaults.sandbox.docker.resources.memory: must be a positive size',
    },
    {
      name: 'a memory size without a unit Clawgate knows',
      text: '{ agents: { defaults: { sandbox: { type: "docker", docker: { image: "x", resources: { memory: "512 parsecs" } } } } } }',
      expected: 'agents.defaults.sandbox.docker.resources.memory: must be a size such as "512m" or "2g" (units b, k, m, g)',
    },
    {
      name: 'a mount of the docker socket',
      text: '{ agents: { defaults: { sandbox: { type: "docker", docker: { image: "x", mounts: [{ host: "/var/run/docker.sock", container: "/var/run/docker.sock" }] } } } } }',
      expected: 'agents.defaults.sandbox.docker.mounts[0].host: is refused: /var/run and everything below it may not be mounted',
    },
    {
      name: 'a mount of a home directory\'s .ssh',
      text: '{ agents: { alice: { allowedUsers: [1], sandbox: { type: "docker", docker: { image: "x", mounts: [{ host: "/home/alice/.ssh", container: "/keys", readonly: true }] } } } } }',
      expected: 'agents.alice.sandbox.docker.mounts[0].host: is refused: paths containing ".ssh" may not be mounted (credentials or the container engine)',
    },
    {
      name: 'a sandbox user that is root',
      text: '{ agents: { defaults: { sandbox: { type: "docker", docker: { image: "x", user: "0:1000" } } } } }',
      expected: 'agents.defaults.sandbox.docker.user: is refused: uid 0 is root, and the sandbox never runs as root',
    },
    {
      name: 'a sandbox user in root\'s group',
      text: '{ agents: { defaults: { sandbox: { type: "docker", docker: { image: "x", user: "1000:0" } } } } }',
      expected: 'agents.defaults.sandbox.docker.user: is refused: gid 0 is root\'s group, and the sandbox never runs with it',
    },
    {
      name: 'a defaultProvider that names no provider',
      text: `${provider('')}, defaultProvider: "olama-internal" }`,
      expected: 'defaultProvider: names provider "olama-internal", which is not configured (did you mean "ollama-internal"?)',
    },
    {
      name: 'a defaultModel the provider does not serve',
      text: `${provider('')}, defaultModel: "gpt-4o" }`,
      expected: 'defaultModel: "gpt-4o" is not among the models of provider "ollama-internal" (qwen)',
    },
    {
      name: 'a rule that cannot be parsed',
      text: '{ agents: { default: { permissions: { allow: ["Bash(git *"] } } } }',
      expected: /^agents\.default\.permissions\.allow\[0\]: .*\(/,
    },
    {
      name: 'a rule for a tool that does not exist',
      text: '{ agents: { default: { permissions: { deny: ["Read", "Shell(rm *)"] } } } }',
      expected: /^agents\.default\.permissions\.deny\[1\]: .*Shell/,
    },
    {
      name: 'a secret from an unset environment variable',
      text: '{ channels: { telegram: { botToken: "${TEAM_BOT_TOKEN}", allowedUsers: [1] } } }',
      expected: 'channels.telegram.botToken: environment variable TEAM_BOT_TOKEN is not set',
    },
    {
      name: 'a port out of range',
      text: '{ gateway: { port: 70000 } }',
      expected: 'gateway.port: Too big: expected number to be <=65535',
    },
    {
      name: 'a misspelt base agent',
      text: '{ agents: { defualt: { permissions: { allow: ["Read"] } } } }',
      expected: 'agents.defualt: has neither allowedUsers nor bindings, so no message can reach it (did you mean "default"?)',
    },
    {
      name: 'a binding to a bot account that does not exist',
      text: `{ channels: { telegram: { accounts: { alice_bot: { botToken: "${secret}", allowedUsers: [1] } } } }, agents: { alice: { bindings: [{ channel: "telegram", account: "bob_bot" }] } } }`,
      expected: 'agents.alice.bindings[0].account: "bob_bot" is not an account of telegram (accounts: alice_bot)',
    },
    {
      name: 'the same key in agents.default and agents.defaults',
      text: '{ agents: { default: { model: "a" }, defaults: { model: "b" } } }',
      expected: 'agents.defaults.model: is also set in agents.default; the base layer may set each key once',
    },
    {
      name: 'a redis session store that is not a redis URL',
      text: '{ session: { store: "redis", redis: { url: "http://redis.internal:6379" } } }',
      expected: 'session.redis.url: must be a redis:// or rediss:// URL',
    },
    {
      name: 'a sandbox flag of the wrong type',
      text: '{ agents: { defaults: { sandbox: { type: "docker", docker: { image: "x", readonlyRootfs: "yes" } } } } }',
      expected: 'agents.defaults.sandbox.docker.readonlyRootfs: Invalid input: expected boolean, received string',
    },
    {
      name: 'two providers with one name',
      text: '{ providers: [{ name: "a", type: "openai-compatible", baseUrl: "http://10.0.0.1/v1", models: ["m"] }, { name: "a", type: "openai-compatible", baseUrl: "http://10.0.0.2/v1", models: ["m"] }], defaultProvider: "a" }',
      expected: 'providers[1].name: "a" is used by an earlier provider',
    },
    {
      name: 'two WebChat users sharing one token',
      text: `{ channels: { webchat: { users: { ann: { token: "${secret}" }, bob: { token: "${secret}" } }, allowedUsers: ["ann", "bob"] } } }`,
      expected: 'channels.webchat.users.bob.token: is the same as the token of user "ann"; every user needs their own',
    },
    {
      name: 'a Telegram apiRoot that is not an http(s) URL',
      text: `{ channels: { telegram: { botToken: "${secret}", allowedUsers: [1], apiRoot: "ftp://bot-api.internal" } } }`,
      expected: 'channels.telegram.apiRoot: must be an http:// or https:// URL',
    },
    {
      name: 'a Telegram webhook secret token Telegram would not accept',
      text: `{ channels: { telegram: { botToken: "${secret}", allowedUsers: [1], webhook: { publicUrl: "https://bots.example.com", secretToken: "short secret!" } } } }`,
      expected: /^channels\.telegram\.webhook\.secretToken: must be 16 to 256 characters/,
    },
    {
      name: 'a Telegram groupActivation that does not exist',
      text: `{ channels: { telegram: { accounts: { alice_bot: { botToken: "${secret}", allowedUsers: [1], groupActivation: "never" } } } } }`,
      expected: /^channels\.telegram\.accounts\.alice_bot\.groupActivation: /,
    },
    {
      name: 'a file that is not JSON5',
      text: `{ channels: { telegram: { botToken: ${secret} } } }`,
      expected: /^\(file\): is not valid JSON5 \(syntax error at line 1, column \d+\)$/,
    },
  ];

  for (const { name, text, env, expected } of cases) {
    it(`refuses ${name}`, () => {
      const problems = problemsOf(text, env);
      if (typeof expected === 'string') assert.ok(problems.includes(expected), `expected "${expected}" among:\n${problems.join('\n')}`);
      else assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} among:\n${problems.join('\n')}`);
      for (const problem of problems) assert.ok(!problem.includes(secret), `a problem line echoes the secret: ${problem}`);
    });
  }

  it('lists every problem of a file at once, one line each', () => {
    const problems = problemsOf('{ channels: { telegram: { allowedUser: [1] } }, gateway: { port: -1, bind: 7 } }');
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  it('never echoes a secret that came from the environment', () => {
    const envSecret = 'sk-live-7a6b5c4d3e2f1a0b';
    const problems = problemsOf(
      '{ providers: [{ name: "p", type: "openai-compatible", baseUrl: "${URL}", apiKey: "${KEY}", models: [] }] }',
      { URL: `https://user:${envSecret}@`, KEY: envSecret },
    );
    assert.ok(problems.length >= 2, problems.join('\n'));
    for (const problem of problems) assert.ok(!problem.includes(envSecret), problem);
  });

  it('says how to name a file when none is given', () => {
    assert.throws(() => loadConfig({ env: {} }), /pass --config FILE or set CLAWGATE_CONFIG/);
  });
});
