import assert from 'node:assert/strict';
import { existsSync, readFileSync, symlinkSync, writeFileSync, lchownSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerCreateOptions, LABELS } from './container/container-spec.js';
import { connectToEngine } from './engine/docker-engine.js';
import { SandboxRuntime, type ContainerRemoved, type ExecuteToolCall } from './sandbox-runtime.js';
import { denyUnder, hostWorkspace, requireTestImage, testSettings, uniqueOwner } from './test-support/sandbox-fixtures.js';
import { createPolicyEngine, parseRule } from '#policy';
import { recheckWithPolicy } from './policy-recheck.js';
import { type PathTool, type RecheckPath, type ToolCall } from './tools/tool-call.js';

const docker = connectToEngine();
const owner = uniqueOwner('runtime');
const removed: ContainerRemoved[] = [];
const removalWaiters: Array<(event: ContainerRemoved) => void> = [];
const runtime = new SandboxRuntime({
  owner,
  onContainerRemoved: (event) => {
    removed.push(event);
    for (const waiter of removalWaiters.splice(0)) waiter(event);
  },
});
const allowAll = denyUnder();

let session = 0;
/** A request in a session of its own, so each test gets a fresh container unless it says otherwise. */
function request(call: ToolCall, overrides: Partial<ExecuteToolCall> = {}): ExecuteToolCall {
  session += 1;
  return { agentId: 'tester', sessionKey: `agent:tester:test:${session}`, settings: testSettings(), call, recheckPath: allowAll, ...overrides };
}

function bash(command: string, timeout?: number): ToolCall {
  return { tool: 'Bash', input: timeout === undefined ? { command } : { command, timeout } };
}

async function containersOf(label: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  return list.map((container) => container.Id);
}

before(async () => {
  await requireTestImage();
  await runtime.start();
});

after(async () => {
  await runtime.stop();
  assert.deepEqual(await containersOf(`${LABELS.owner}=${owner}`), [], 'stop() leaves no container behind');
});

describe('SandboxRuntime against the real engine', () => {
  it('keeps stdout and stderr apart and reports the exit code', async () => {
    const result = await runtime.execute(request(bash('echo to-out; echo to-err >&2; echo more-out; exit 3')));
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout.text, 'to-out\nmore-out\n');
    assert.equal(result.stderr.text, 'to-err\n');
    assert.equal(result.timedOut, false);
    assert.equal(result.oomKilled, false);
    assert.equal(result.failure, undefined);
  });

  it('runs as the non-root user with no capabilities and no new privileges', async () => {
    const result = await runtime.execute(request(bash('id -u; id -g; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status')));
    assert.equal(result.exitCode, 0, result.stderr.text);
    const [uid, gid] = result.stdout.text.split('\n');
    assert.deepEqual([uid, gid], ['1000', '1000']);
    assert.match(result.stdout.text, /^CapEff:\s+0{16}$/m);
    assert.match(result.stdout.text, /^CapBnd:\s+0{16}$/m);
    assert.match(result.stdout.text, /^NoNewPrivs:\s+1$/m);
  });

  it('caps each stream at 30,000 characters and records the original size', async () => {
    const result = await runtime.execute(request(bash('head -c 100000 /dev/zero | tr "\\0" a; head -c 40000 /dev/zero | tr "\\0" b >&2')));
    assert.equal(result.stdout.text, 'a'.repeat(30_000));
    assert.deepEqual([result.stdout.bytes, result.stdout.length, result.stdout.truncated], [100_000, 100_000, true]);
    assert.equal(result.stderr.text, 'b'.repeat(30_000));
    assert.deepEqual([result.stderr.bytes, result.stderr.truncated], [40_000, true]);
  });

  describe('network none', () => {
    let server: Server;
    let port = 0;
    before(async () => {
      server = createServer((socket) => socket.end('hello from the host\n'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('cannot reach a port listening on the host\'s 127.0.0.1, and has no interface but lo', async () => {
      const result = await runtime.execute(request(bash(`ls /sys/class/net; exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3`)));
      assert.notEqual(result.exitCode, 0);
      assert.equal(result.stdout.text, 'lo\n');
      assert.match(result.stderr.text, /Connection refused|Network is unreachable|No route/);
      assert.ok(!result.stdout.text.includes('hello from the host'));
    });
  });

  it('cannot write to / when the root filesystem is read-only, while /tmp is writable', async () => {
    const result = await runtime.execute(request(bash('touch /tmp/ok && echo tmp-ok; touch /evil; echo $?')));
    assert.equal(result.stdout.text, 'tmp-ok\n1\n');
    assert.match(result.stderr.text, /Read-only file system/);
    const written = await runtime.execute(request({ tool: 'Write', input: { file_path: '/opt/evil.txt', content: 'x' } }));
    assert.equal(written.failure?.code, 'tool_error');
    assert.match(written.failure?.message ?? '', /Read-only file system/);
  });

  it('keeps a read-only mount read-only, for Bash and for Write', async () => {
    const data = hostWorkspace();
    writeFileSync(path.join(data, 'kept.txt'), 'original\n');
    const settings = testSettings({ mounts: [{ host: data, container: '/data', readonly: true }] });
    const shell = await runtime.execute(request(bash('cat /data/kept.txt; echo changed > /data/kept.txt; touch /data/new'), { settings }));
    assert.equal(shell.stdout.text, 'original\n');
    assert.match(shell.stderr.text, /Read-only file system/);
    const written = await runtime.execute(request({ tool: 'Write', input: { file_path: '/data/kept.txt', content: 'changed' } }, { settings }));
    assert.equal(written.failure?.code, 'tool_error');
    assert.equal(readFileSync(path.join(data, 'kept.txt'), 'utf8'), 'original\n');
    assert.equal(existsSync(path.join(data, 'new')), false);
  });

  it('reports a memory hog as out-of-memory', async () => {
    const settings = testSettings({ memoryBytes: 64 * 1024 ** 2 });
    const result = await runtime.execute(request(bash('x=$(head -c 512m /dev/zero | tr "\\0" a); echo ${#x}'), { settings }));
    assert.equal(result.oomKilled, true);
    assert.equal(result.timedOut, false);
    assert.equal(result.exitCode, 137);
    const next = await runtime.execute(request(bash('echo still here'), { settings, sessionKey: `agent:tester:test:${session}` }));
    assert.equal(next.stdout.text, 'still here\n');
    assert.equal(next.oomKilled, false);
  });

  it('contains a fork bomb: the PID limit holds, the deadline ends it, the container serves the next call', async () => {
    const settings = testSettings({ pidsLimit: 64, timeoutSeconds: 4 });
    const bomb = request(bash('bomb() { bomb | bomb & }; bomb; while :; do :; done'), { settings });
    const result = await runtime.execute(bomb);
    assert.equal(result.timedOut, true);
    assert.match(result.stderr.text, /Resource temporarily unavailable/, 'the bomb ran into the PID limit');
    const next = await runtime.execute({ ...bomb, call: bash('ls /proc | grep -c "^[0-9]"') });
    assert.equal(next.exitCode, 0, next.stderr.text);
    // tini, sleep, and this call's sh, timeout, bash, ls and grep: nothing of the bomb is left.
    assert.ok(Number(next.stdout.text) <= 8, `processes left: ${next.stdout.text}`);
  });

  it('kills the whole process tree at the deadline', async () => {
    const tree = request(bash('sleep 300 & (sleep 301 &) ; bash -c "sleep 302" & echo started; wait', 1_500));
    const result = await runtime.execute(tree);
    assert.equal(result.timedOut, true);
    assert.equal(result.stdout.text, 'started\n');
    const survivors = await runtime.execute({ ...tree, call: bash('cat /proc/[0-9]*/cmdline | tr "\\0" " "; echo') });
    assert.doesNotMatch(survivors.stdout.text, /sleep 30[012]/);
    assert.equal(survivors.containerId, result.containerId, 'nothing escaped, so the warm container stays');
  });

  it('removes the container after a deadline when a process escaped the call\'s process group', async () => {
    const escape = request(bash('setsid sleep 304; echo never', 1_000));
    const result = await runtime.execute(escape);
    assert.equal(result.timedOut, true);
    assert.ok(removed.some((event) => event.containerId === result.containerId && event.reason === 'escaped'));
    assert.ok(!(await containersOf(`${LABELS.owner}=${owner}`)).includes(result.containerId));
    const next = await runtime.execute({ ...escape, call: bash('echo fresh') });
    assert.equal(next.stdout.text, 'fresh\n');
    assert.notEqual(next.containerId, result.containerId);
  });

  it('ends what a call left running in the background when the call returns', async () => {
    const call = request(bash('sleep 303 & echo left behind'));
    const result = await runtime.execute(call);
    assert.deepEqual([result.exitCode, result.stdout.text, result.timedOut], [0, 'left behind\n', false]);
    const survivors = await runtime.execute({ ...call, call: bash('cat /proc/[0-9]*/cmdline | tr "\\0" " "; echo') });
    assert.doesNotMatch(survivors.stdout.text, /sleep 303/);
  });

  describe('Read, Write and Edit resolve the real path inside the container', () => {
    const workspace = hostWorkspace();
    const settings = testSettings({ mounts: [{ host: workspace, container: '/workspace', readonly: false }] });
    // The policy engine itself, with the rules a config would give: everything in the workspace, nothing in /etc.
    const asked: Array<{ tool: PathTool; realPath: string }> = [];
    let denyEtc: RecheckPath = () => ({ decision: 'deny', rule: '', reason: 'not ready' });
    const inWorkspace = (call: ToolCall) =>
      request(call, {
        settings,
        sessionKey: 'agent:tester:test:paths',
        recheckPath: (tool, realPath) => {
          asked.push({ tool, realPath });
          return denyEtc(tool, realPath);
        },
      });
    before(async () => {
      const permissions = {
        allow: ['Read', 'Write', 'Edit', 'Glob', 'Grep'].map(parseRule),
        deny: ['Read(/etc/**)', 'Write(/etc/**)', 'Edit(/etc/**)'].map(parseRule),
      };
      denyEtc = recheckWithPolicy(await createPolicyEngine(), permissions);
    });
    before(() => {
      symlinkSync('/etc/passwd', path.join(workspace, 'innocent.txt'));
      symlinkSync('/etc', path.join(workspace, 'config'));
      lchownSync(path.join(workspace, 'innocent.txt'), 1000, 1000);
    });

    it('refuses Read through a symlink to /etc/passwd', async () => {
      const result = await runtime.execute(inWorkspace({ tool: 'Read', input: { file_path: '/workspace/innocent.txt' } }));
      assert.equal(result.failure?.code, 'path_denied');
      assert.equal(result.failure?.realPath, '/etc/passwd');
      assert.equal(result.failure?.rule, 'Read(/etc/**)');
      assert.doesNotMatch(result.stdout.text, /root:/);
      const viaDirectory = await runtime.execute(inWorkspace({ tool: 'Read', input: { file_path: '/workspace/config/passwd' } }));
      assert.equal(viaDirectory.failure?.code, 'path_denied');
      assert.equal(viaDirectory.failure?.realPath, '/etc/passwd');
    });

    it('refuses Write and Edit through the same symlink, and asks the policy with the real path', async () => {
      const written = await runtime.execute(inWorkspace({ tool: 'Write', input: { file_path: '/workspace/innocent.txt', content: 'pwned' } }));
      assert.equal(written.failure?.code, 'path_denied');
      assert.equal(written.failure?.rule, 'Write(/etc/**)');
      const edited = await runtime.execute(inWorkspace({ tool: 'Edit', input: { file_path: '/workspace/innocent.txt', old_string: 'root', new_string: 'toor' } }));
      assert.equal(edited.failure?.code, 'path_denied');
      assert.deepEqual(asked.filter((question) => question.tool !== 'Read'), [
        { tool: 'Write', realPath: '/etc/passwd' },
        { tool: 'Edit', realPath: '/etc/passwd' },
      ]);
    });

    it('writes, reads with offset and limit, and edits files inside the container', async () => {
      const written = await runtime.execute(inWorkspace({ tool: 'Write', input: { file_path: '/workspace/notes/a.txt', content: 'one\ntwo\nthree\nfour\n' } }));
      assert.equal(written.failure, undefined, written.failure?.message);
      assert.equal(readFileSync(path.join(workspace, 'notes/a.txt'), 'utf8'), 'one\ntwo\nthree\nfour\n');
      const read = await runtime.execute(inWorkspace({ tool: 'Read', input: { file_path: '/workspace/notes/a.txt', offset: 2, limit: 2 } }));
      assert.equal(read.stdout.text, '     2\ttwo\n     3\tthree');
      const edited = await runtime.execute(inWorkspace({ tool: 'Edit', input: { file_path: '/workspace/notes/a.txt', old_string: 'three', new_string: '3' } }));
      assert.equal(edited.failure, undefined, edited.failure?.message);
      assert.equal(readFileSync(path.join(workspace, 'notes/a.txt'), 'utf8'), 'one\ntwo\n3\nfour\n');
      const ambiguous = await runtime.execute(inWorkspace({ tool: 'Edit', input: { file_path: '/workspace/notes/a.txt', old_string: 'o', new_string: '0' } }));
      assert.equal(ambiguous.failure?.code, 'tool_error');
      assert.match(ambiguous.failure?.message ?? '', /occurs 3 times/);
      const globbed = await runtime.execute(inWorkspace({ tool: 'Glob', input: { pattern: '**/*.txt' } }));
      assert.match(globbed.stdout.text, /^\/workspace\/notes\/a\.txt$/m);
      const grepped = await runtime.execute(inWorkspace({ tool: 'Grep', input: { pattern: '^tw', path: '/workspace/notes', output_mode: 'content', '-n': true } }));
      assert.equal(grepped.stdout.text, '/workspace/notes/a.txt:2:two\n');
      const files = await runtime.execute(inWorkspace({ tool: 'Grep', input: { pattern: 'FOUR', '-i': true, type: 'txt' } }));
      assert.equal(files.stdout.text, '/workspace/notes/a.txt\n');
      const none = await runtime.execute(inWorkspace({ tool: 'Grep', input: { pattern: 'absent', output_mode: 'count' } }));
      assert.deepEqual([none.exitCode, none.stdout.text, none.failure], [0, '', undefined]);
    });
  });

  it('runs the setup command once per container, before the first call', async () => {
    const workspace = hostWorkspace();
    const settings = testSettings({
      setupCommand: 'echo setup >> /workspace/setup.log',
      mounts: [{ host: workspace, container: '/workspace', readonly: false }],
    });
    const first = request(bash('echo call >> /workspace/setup.log'), { settings });
    await runtime.execute(first);
    await runtime.execute({ ...first });
    assert.equal(readFileSync(path.join(workspace, 'setup.log'), 'utf8'), 'setup\ncall\ncall\n');
  });

  it('reports a failing setup command as such, and does not run the tool', async () => {
    const workspace = hostWorkspace();
    const settings = testSettings({
      setupCommand: 'echo installing; echo no such package >&2; exit 7',
      mounts: [{ host: workspace, container: '/workspace', readonly: false }],
    });
    const result = await runtime.execute(request(bash('touch /workspace/ran'), { settings }));
    assert.equal(result.failure?.code, 'setup_failed');
    assert.equal(result.exitCode, 7);
    assert.equal(result.stdout.text, 'installing\n');
    assert.equal(result.stderr.text, 'no such package\n');
    assert.equal(existsSync(path.join(workspace, 'ran')), false);
  });

  it('runs no more calls at once than its limit; the others wait their turn', async () => {
    const workspace = hostWorkspace();
    const limited = new SandboxRuntime({ owner, maxConcurrentCalls: 1 });
    const settings = testSettings({ mounts: [{ host: workspace, container: '/workspace', readonly: false }] });
    const call = (name: string) => bash(`echo ${name}-start >> /workspace/log; sleep 0.3; echo ${name}-end >> /workspace/log`);
    try {
      await Promise.all([limited.execute(request(call('a'), { settings })), limited.execute(request(call('b'), { settings }))]);
    } finally {
      await limited.stop();
    }
    assert.equal(readFileSync(path.join(workspace, 'log'), 'utf8'), 'a-start\na-end\nb-start\nb-end\n');
  });

  it('reaps a container once it has been idle for the idle timeout', async () => {
    const settings = testSettings({ idleTimeoutSeconds: 1 });
    const result = await runtime.execute(request(bash('true'), { settings }));
    const reaped = await new Promise<ContainerRemoved>((resolve) => {
      const earlier = removed.find((event) => event.containerId === result.containerId);
      if (earlier) resolve(earlier);
      else removalWaiters.push(function wait(event) {
        if (event.containerId === result.containerId) resolve(event);
        else removalWaiters.push(wait);
      });
    });
    assert.equal(reaped.reason, 'idle');
    assert.ok(!(await containersOf(`${LABELS.owner}=${owner}`)).includes(result.containerId));
    assert.ok(!runtime.warmContainers().some((warm) => warm.containerId === result.containerId));
  });

  it('sweeps leftovers of the same owner at start-up, and only those', async () => {
    const leftoverOwner = uniqueOwner('leftover');
    const identity = { owner: leftoverOwner, runtime: 'crashed', scopeKey: 'session:x', agentId: 'a', sessionKey: 'x' };
    const leftover = await docker.createContainer(containerCreateOptions(testSettings(), identity));
    const stranger = await docker.createContainer(containerCreateOptions(testSettings(), { ...identity, owner: uniqueOwner('stranger') }));
    try {
      await leftover.start();
      const fresh = new SandboxRuntime({ owner: leftoverOwner });
      assert.deepEqual(await fresh.start(), { swept: 1 });
      assert.deepEqual(await containersOf(`${LABELS.owner}=${leftoverOwner}`), []);
      assert.equal((await stranger.inspect()).Id, stranger.id);
    } finally {
      await stranger.remove({ force: true });
    }
  });
});
