// Sandbox latency: cold (container created + first call) and warm (Bash(true), a small Read) through
// SandboxRuntime, next to the engine's raw figures through plain dockerode on the same image and the same
// create options. Last line: JSON. Run with `npm run -s bench:sandbox` (BENCH_RUNS=30 by default).
import os from 'node:os';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { SANDBOX_DEFAULTS, type SandboxSettings } from '#config';
import { containerCreateOptions } from '../apps/sandbox/src/container/container-spec.js';
import { connectToEngine, engineEndpoint, imageExists, probeEngine } from '../apps/sandbox/src/engine/docker-engine.js';
import { DEFAULT_SANDBOX_IMAGE } from '../apps/sandbox/src/image/build-sandbox-image.js';
import { SandboxRuntime } from '../apps/sandbox/src/sandbox-runtime.js';
import { type PathDecision, type ToolCall } from '../apps/sandbox/src/tools/tool-call.js';

const runs = Number(process.env.BENCH_RUNS ?? 30);
const warmup = 3;
const image = process.env.CLAWGATE_SANDBOX_IMAGE || DEFAULT_SANDBOX_IMAGE;
const owner = `bench-${process.pid}`;
const docker = connectToEngine();

const settings: SandboxSettings = {
  type: 'docker',
  image,
  setupCommand: undefined,
  network: SANDBOX_DEFAULTS.network,
  readonlyRootfs: SANDBOX_DEFAULTS.readonlyRootfs,
  user: SANDBOX_DEFAULTS.user,
  memoryBytes: SANDBOX_DEFAULTS.memoryBytes,
  nanoCpus: SANDBOX_DEFAULTS.nanoCpus,
  pidsLimit: SANDBOX_DEFAULTS.pidsLimit,
  mounts: [],
  scope: 'session',
  idleTimeoutSeconds: 600,
  timeoutSeconds: 30,
};
const allow = (): PathDecision => ({ decision: 'allow', rule: 'Read', reason: 'bench' });
const bashTrue: ToolCall = { tool: 'Bash', input: { command: 'true' } };

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** create → start → wait → remove of a container that runs `true`, with the sandbox's own create options. */
async function rawCold(): Promise<void> {
  const options = containerCreateOptions(settings, { owner, runtime: 'raw', scopeKey: 'raw', agentId: 'bench', sessionKey: 'raw' });
  const container = await docker.createContainer({ ...options, Entrypoint: ['true'], Cmd: [] });
  await container.start();
  await container.wait();
  await container.remove();
}

/** A bare exec of `true`: create, start attached, read the stream to its end, inspect for the exit code. */
async function rawExec(container: Docker.Container): Promise<void> {
  const exec = await container.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  container.modem.demuxStream(stream, new PassThrough(), new PassThrough());
  await new Promise((resolve) => stream.on('end', resolve));
  const info = await exec.inspect();
  if (info.ExitCode !== 0) throw new Error(`raw exec exited with ${info.ExitCode}`);
}

async function main(): Promise<void> {
  if (!(await imageExists(docker, image))) throw new Error(`image ${image} is missing: npm run -s clawgate -- sandbox build-image`);
  const engine = await probeEngine(docker, engineEndpoint());
  const runtime = new SandboxRuntime({ owner });
  await runtime.start();
  const samples = { cold: [] as number[], rawCold: [] as number[], warmBash: [] as number[], warmRead: [] as number[], rawExec: [] as number[] };
  try {
    // Cold, interleaved with the raw figure so drift on the machine affects both alike.
    for (let i = 0; i < warmup + runs; i += 1) {
      const coordinates = { agentId: 'bench', sessionKey: `bench:cold:${i}`, settings };
      const cold = await timed(async () => {
        const result = await runtime.execute({ ...coordinates, call: bashTrue, recheckPath: allow });
        if (result.exitCode !== 0) throw new Error(`cold Bash(true) exited with ${result.exitCode}: ${result.stderr.text}`);
      });
      await runtime.release(coordinates);
      const raw = await timed(rawCold);
      if (i >= warmup) {
        samples.cold.push(cold);
        samples.rawCold.push(raw);
      }
    }

    const warm = { agentId: 'bench', sessionKey: 'bench:warm', settings, recheckPath: allow };
    const first = await runtime.execute({ ...warm, call: { tool: 'Write', input: { file_path: '/tmp/small.txt', content: 'a small file\n'.repeat(20) } } });
    if (first.failure) throw new Error(first.failure.message);
    const container = docker.getContainer(first.containerId);
    for (let i = 0; i < warmup + runs; i += 1) {
      const bash = await timed(() => runtime.execute({ ...warm, call: bashTrue }));
      const read = await timed(() => runtime.execute({ ...warm, call: { tool: 'Read', input: { file_path: '/tmp/small.txt' } } }));
      const raw = await timed(() => rawExec(container));
      if (i >= warmup) {
        samples.warmBash.push(bash);
        samples.warmRead.push(read);
        samples.rawExec.push(raw);
      }
    }
  } finally {
    await runtime.stop();
  }

  const round = (value: number) => Math.round(value * 10) / 10;
  const row = (name: string, values: number[]) =>
    console.log(`${name.padEnd(34)} p50 ${round(percentile(values, 50)).toFixed(1).padStart(7)} ms   p95 ${round(percentile(values, 95)).toFixed(1).padStart(7)} ms`);
  console.log(`engine: ${engine.version ?? 'unknown'} at ${engine.endpoint}; machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, ${os.type()} ${os.release()}; runs: ${runs}`);
  row('cold: create + first Bash(true)', samples.cold);
  row('raw: create/start/wait/remove', samples.rawCold);
  row('warm: Bash(true)', samples.warmBash);
  row('warm: Read (20 lines)', samples.warmRead);
  row('raw: bare exec', samples.rawExec);
  const p50 = (values: number[]) => round(percentile(values, 50));
  const p95 = (values: number[]) => round(percentile(values, 95));
  console.log(
    JSON.stringify({
      runs,
      cold_p50_ms: p50(samples.cold),
      cold_p95_ms: p95(samples.cold),
      warm_p50_ms: p50(samples.warmBash),
      warm_p95_ms: p95(samples.warmBash),
      warm_read_p50_ms: p50(samples.warmRead),
      warm_read_p95_ms: p95(samples.warmRead),
      raw_cold_p50_ms: p50(samples.rawCold),
      raw_cold_p95_ms: p95(samples.rawCold),
      raw_exec_p50_ms: p50(samples.rawExec),
      raw_exec_p95_ms: p95(samples.rawExec),
      cold_vs_raw_cold: Math.round((percentile(samples.cold, 50) / percentile(samples.rawCold, 50)) * 100) / 100,
      warm_vs_raw_exec: Math.round((percentile(samples.warmBash, 50) / percentile(samples.rawExec, 50)) * 100) / 100,
    }),
  );
}

await main();
