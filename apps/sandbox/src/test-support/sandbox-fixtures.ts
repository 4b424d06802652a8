import { randomUUID } from 'node:crypto';
import { chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SANDBOX_DEFAULTS, type SandboxSettings } from '#config';
import { connectToEngine, imageExists } from '../engine/docker-engine.js';
import { DEFAULT_SANDBOX_IMAGE, SANDBOX_UID } from '../image/build-sandbox-image.js';
import { type PathDecision, type PathTool, type RecheckPath } from '../tools/tool-call.js';

/** The image the sandbox tests run; `.ci/run` builds it offline. */
export const TEST_IMAGE = process.env.CLAWGATE_SANDBOX_IMAGE || DEFAULT_SANDBOX_IMAGE;

/** Fails the test file with the fix when the engine or the image is missing, rather than skipping it. */
export async function requireTestImage(): Promise<void> {
  const docker = connectToEngine();
  if (!(await imageExists(docker, TEST_IMAGE))) {
    throw new Error(`sandbox test image ${TEST_IMAGE} is missing: run \`npm run -s clawgate -- sandbox build-image --tag ${TEST_IMAGE}\` (or bash .ci/run)`);
  }
}

/** An owner label of its own, so test files never sweep each other's containers. */
export function uniqueOwner(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}

/** A host directory the sandbox user may write, to mount as /workspace. */
export function hostWorkspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'clawgate-sandbox-'));
  chownSync(dir, SANDBOX_UID, SANDBOX_UID);
  return dir;
}

export function testSettings(overrides: Partial<SandboxSettings> = {}): SandboxSettings {
  return {
    type: 'docker',
    image: TEST_IMAGE,
    setupCommand: undefined,
    network: SANDBOX_DEFAULTS.network,
    readonlyRootfs: SANDBOX_DEFAULTS.readonlyRootfs,
    user: SANDBOX_DEFAULTS.user,
    memoryBytes: 128 * 1024 ** 2,
    nanoCpus: SANDBOX_DEFAULTS.nanoCpus,
    pidsLimit: 64,
    mounts: [],
    scope: 'session',
    idleTimeoutSeconds: 300,
    timeoutSeconds: 30,
    ...overrides,
  };
}

/** A policy stand-in for the recheck: allow everything except paths under the given prefixes; records each question. */
export function denyUnder(...prefixes: string[]): RecheckPath & { asked: Array<{ tool: PathTool; realPath: string }> } {
  const asked: Array<{ tool: PathTool; realPath: string }> = [];
  const recheck = (tool: PathTool, realPath: string): PathDecision => {
    asked.push({ tool, realPath });
    const prefix = prefixes.find((candidate) => realPath === candidate || realPath.startsWith(`${candidate}/`));
    return prefix ? { decision: 'deny', rule: `${tool}(${prefix}/**)`, reason: `${prefix} is off limits` } : { decision: 'allow', rule: `${tool}`, reason: 'allowed' };
  };
  return Object.assign(recheck, { asked });
}
