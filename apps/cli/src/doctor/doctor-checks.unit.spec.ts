import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from '#config';
import { checkGatewayBind, checkGatewayToken, checkProviders, classifyAddress, entropyPerChar } from './doctor-checks.js';

const config = (raw: object, env: Record<string, string> = {}) => parseConfigText(JSON.stringify(raw), 'doctor-unit', env);

describe('doctor checks', () => {
  it('classifies addresses: loopback, private (RFC 1918, CGNAT/Tailscale, ULA), public, every interface', () => {
    assert.deepEqual(
      ['127.0.0.1', '::1', '10.1.2.3', '172.20.0.1', '192.168.1.100', '100.100.1.1', 'fd00::1', '::ffff:10.0.0.1', '172.32.0.1', '8.8.8.8', '2001:db8::1', '0.0.0.0', '::'].map(classifyAddress),
      ['loopback', 'loopback', 'private', 'private', 'private', 'private', 'private', 'private', 'public', 'public', 'public', 'any', 'any'],
    );
  });

  it('estimates a token\'s randomness per character', () => {
    assert.equal(entropyPerChar('aaaa'), 0);
    assert.equal(entropyPerChar('abab'), 1);
    assert.ok(entropyPerChar('3f9c1a7be2d04c5896a1f0e7d2b3c4a5') > 3);
  });

  it('judges provider hosts by what they resolve to; an unresolvable host is a warning', () => {
    const resolved = new Map([
      ['ollama.internal', { addresses: ['10.0.0.7'] }],
      ['api.example.com', { addresses: ['93.184.216.34'] }],
      ['gone.internal', { error: 'ENOTFOUND' }],
    ]);
    const withProvider = (baseUrl: string) => config({ providers: [{ name: 'p', type: 'openai-compatible', baseUrl, models: ['m'] }], defaultProvider: 'p' });
    assert.equal(checkProviders(withProvider('http://ollama.internal:11434/v1'), { resolved }).status, 'PASS');
    assert.equal(checkProviders(withProvider('https://api.example.com/v1'), { resolved }).status, 'FAIL');
    assert.equal(checkProviders(withProvider('http://gone.internal/v1'), { resolved }).status, 'WARN');
    assert.equal(checkProviders(withProvider('http://[::1]:11434/v1'), { resolved }).status, 'PASS');
  });

  it('warns on a private bind, fails on a public one or every interface', () => {
    assert.equal(checkGatewayBind(config({ gateway: { bind: '10.0.0.2' } })).status, 'WARN');
    assert.equal(checkGatewayBind(config({ gateway: { bind: '203.0.113.5' } })).status, 'FAIL');
    assert.equal(checkGatewayBind(config({ gateway: { bind: '::' } })).status, 'FAIL');
    assert.equal(checkGatewayBind(config({})).status, 'PASS');
  });

  it('wants the gateway token from the environment, long and random, and never repeats it', () => {
    const strong = '9d4e1c7a0b3f8e2d6c5a4b1f0e9d8c7b6a5f4e3d';
    const fromEnv = checkGatewayToken(config({ gateway: { auth: { token: '${GW}' } } }, { GW: strong }));
    assert.equal(fromEnv.status, 'PASS');
    const inFile = checkGatewayToken(config({ gateway: { auth: { token: strong } } }));
    assert.deepEqual([inFile.status, inFile.findings], ['FAIL', ['it is written in the config file']]);
    assert.equal(checkGatewayToken(config({})).status, 'FAIL');
    assert.ok(![fromEnv, inFile].some((check) => JSON.stringify(check).includes(strong)));
  });
});
