import { createHash, randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { type SandboxSettings } from '#config';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { containerCreateOptions, LABELS, workingDirectoryOf } from './container/container-spec.js';
import { connectToEngine, engineEndpoint, statusCodeOf } from './engine/docker-engine.js';
import { SandboxError } from './errors.js';
import { DEFAULT_OUTPUT_LIMIT_CHARS } from './exec/captured-output.js';
import { runExec, type ExecOutcome } from './exec/run-exec.js';
import { runBash } from './tools/bash-tool.js';
import { editFile, globFiles, grepFiles, readFile, writeFile } from './tools/path-tools.js';
import { type RecheckPath, type ToolCall } from './tools/tool-call.js';
import { type RunOptions, type ToolContext, type ToolOutcome } from './tools/tool-context.js';
import { type ToolCallResult } from './tools/tool-result.js';

export interface SandboxRuntimeOptions {
  /**
   * Names the installation (or test) the containers belong to. Containers carrying this owner label are
   * leftovers of an earlier run and are removed by `start()`.
   */
  owner: string;
  /** Defaults to the engine `DOCKER_HOST` names. */
  docker?: Docker;
  /** Tool calls running at once across all containers; the rest wait in a queue. Default 4. */
  maxConcurrentCalls?: number;
  /** Characters kept of stdout and of stderr each. Default 30,000. */
  outputLimitChars?: number;
  onContainerRemoved?: (event: ContainerRemoved) => void;
}

export type ContainerRemovalReason = 'idle' | 'released' | 'stopped' | 'overrun' | 'escaped' | 'setup_failed' | 'gone';

export interface ContainerRemoved {
  containerId: string;
  scopeKey: string;
  reason: ContainerRemovalReason;
}

export interface ExecuteToolCall {
  agentId: string;
  sessionKey: string;
  /** The agent's resolved sandbox settings. */
  settings: SandboxSettings;
  call: ToolCall;
  /** Asked with the real path before Read, Write, Edit, Glob and Grep act. */
  recheckPath: RecheckPath;
}

export interface WarmContainerInfo {
  containerId: string;
  scopeKey: string;
  inFlight: number;
}

interface WarmContainer {
  key: string;
  scopeKey: string;
  id: string;
  container: Docker.Container;
  settings: SandboxSettings;
  workingDir: string;
  inFlight: number;
  idleTimer: NodeJS.Timeout | undefined;
  oomKillsSeen: number;
  removed: boolean;
}

type Acquired = { entry: WarmContainer } | { setupFailed: ToolCallResult };

/**
 * Runs tool calls in locked-down containers, one warm container per session, agent or installation
 * (the settings' `scope`). Containers are created on first use, set up once, reaped when idle and swept
 * by label at start-up.
 */
export class SandboxRuntime {
  /** This instance; containers carry it as a label next to the owner. */
  readonly id = randomUUID();
  private readonly docker: Docker;
  private readonly limit: ConcurrencyLimit;
  private readonly outputLimit: number;
  /** Per key, the container being created or ready; `current` holds the ready ones. */
  private readonly containers = new Map<string, Promise<Acquired>>();
  private readonly current = new Map<string, WarmContainer>();
  /** Every container this runtime has and has not removed yet, including those still starting. */
  private readonly entries = new Set<WarmContainer>();
  private stopped = false;

  constructor(private readonly options: SandboxRuntimeOptions) {
    this.docker = options.docker ?? connectToEngine();
    this.limit = new ConcurrencyLimit(options.maxConcurrentCalls ?? 4);
    this.outputLimit = options.outputLimitChars ?? DEFAULT_OUTPUT_LIMIT_CHARS;
  }

  /** Removes containers an earlier run of the same owner left behind. Returns how many. */
  async start(): Promise<{ swept: number }> {
    const leftovers = await this.engineCall(() =>
      this.docker.listContainers({ all: true, filters: { label: [`${LABELS.owner}=${this.options.owner}`] } }),
    );
    await Promise.all(leftovers.map((info) => this.docker.getContainer(info.Id).remove({ force: true }).catch(ignoreGone)));
    return { swept: leftovers.length };
  }

  async execute(request: ExecuteToolCall): Promise<ToolCallResult> {
    if (this.stopped) throw new SandboxError('SANDBOX_STOPPED', 'the sandbox runtime is stopped');
    return this.limit.run(async () => {
      const started = performance.now();
      try {
        return await this.executeIn(request, started);
      } catch (error) {
        if (!(error instanceof ContainerGoneError)) throw error;
        // The warm container died between calls (killed, OOM of its init, removed by hand) before this call
        // ran anything in it: start over once with a fresh one.
        return this.executeIn(request, started);
      }
    });
  }

  warmContainers(): WarmContainerInfo[] {
    return [...this.entries].map((entry) => ({ containerId: entry.id, scopeKey: entry.scopeKey, inFlight: entry.inFlight }));
  }

  /** Removes the warm container a call with these coordinates would use now (a session ended), if there is one. */
  async release(coordinates: Pick<ExecuteToolCall, 'agentId' | 'sessionKey' | 'settings'>): Promise<boolean> {
    const entry = this.current.get(`${scopeKeyOf(coordinates)}#${fingerprint(coordinates.settings)}`);
    if (!entry) return false;
    await this.remove(entry, 'released');
    return true;
  }

  /** Removes every container of this runtime. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.entries].map((entry) => this.remove(entry, 'stopped')));
  }

  private async executeIn(request: ExecuteToolCall, started: number): Promise<ToolCallResult> {
    const acquired = await this.acquire(request);
    if ('setupFailed' in acquired) return { ...acquired.setupFailed, tool: request.call.tool, durationMs: performance.now() - started };
    const entry = acquired.entry;
    entry.inFlight += 1;
    clearTimeout(entry.idleTimer);
    try {
      let execsStarted = 0;
      const context: ToolContext = {
        deadlineMs: entry.settings.timeoutSeconds * 1000,
        outputLimit: this.outputLimit,
        recheckPath: request.recheckPath,
        run: async (cmd, runOptions) => {
          const outcome = await this.run(entry, cmd, runOptions, execsStarted === 0);
          execsStarted += 1;
          return outcome;
        },
      };
      const outcome = await runTool(context, request.call, entry.workingDir);
      if (outcome.timedOut && entry.inFlight === 1) await this.removeIfAnythingEscaped(entry);
      const oomKilled = await this.oomKilled(entry, outcome);
      return { tool: request.call.tool, ...outcome, oomKilled, durationMs: performance.now() - started, containerId: entry.id };
    } finally {
      entry.inFlight -= 1;
      if (entry.inFlight === 0 && !entry.removed) {
        entry.idleTimer = setTimeout(() => void this.remove(entry, 'idle'), entry.settings.idleTimeoutSeconds * 1000);
        entry.idleTimer.unref();
      }
    }
  }

  private async run(entry: WarmContainer, cmd: string[], runOptions: RunOptions | undefined, first: boolean): Promise<ExecOutcome> {
    try {
      return await runExec(entry.container, {
        cmd,
        user: entry.settings.user,
        workingDir: entry.workingDir,
        stdin: runOptions?.stdin,
        deadlineMs: runOptions?.deadlineMs ?? entry.settings.timeoutSeconds * 1000,
        outputLimit: runOptions?.outputLimit ?? this.outputLimit,
        onOverrun: () => this.remove(entry, 'overrun'),
      });
    } catch (error) {
      const status = statusCodeOf(error);
      if (status === 404 || status === 409) {
        await this.remove(entry, 'gone');
        if (first) throw new ContainerGoneError();
        throw new SandboxError('SANDBOX_CONTAINER_FAILED', `container ${entry.id.slice(0, 12)} went away during the call`, { cause: error });
      }
      throw this.engineError(error);
    }
  }

  /** The warm container for this call's scope, created, started and set up if there is none. */
  private acquire(request: ExecuteToolCall): Promise<Acquired> {
    const scopeKey = scopeKeyOf(request);
    const key = `${scopeKey}#${fingerprint(request.settings)}`;
    const existing = this.containers.get(key);
    if (existing) return existing;
    const created = this.create(key, scopeKey, request);
    this.containers.set(key, created);
    created.then(
      (acquired) => {
        if ('entry' in acquired && !acquired.entry.removed) this.current.set(key, acquired.entry);
        else this.containers.delete(key);
      },
      () => this.containers.delete(key),
    );
    return created;
  }

  private async create(key: string, scopeKey: string, request: ExecuteToolCall): Promise<Acquired> {
    const { settings } = request;
    const spec = containerCreateOptions(settings, {
      owner: this.options.owner,
      runtime: this.id,
      scopeKey,
      agentId: request.agentId,
      sessionKey: request.sessionKey,
    });
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(spec);
    } catch (error) {
      if (statusCodeOf(error) === 404) {
        throw new SandboxError(
          'SANDBOX_IMAGE_MISSING',
          `image ${settings.image} does not exist on the engine at ${engineEndpoint()}: build it with \`clawgate sandbox build-image --tag ${settings.image}\` or load it`,
          { cause: error },
        );
      }
      throw this.engineError(error);
    }
    const entry: WarmContainer = {
      key,
      scopeKey,
      id: container.id,
      container,
      settings,
      workingDir: workingDirectoryOf(settings),
      inFlight: 0,
      idleTimer: undefined,
      oomKillsSeen: 0,
      removed: false,
    };
    this.entries.add(entry);
    try {
      await container.start();
    } catch (error) {
      await this.remove(entry, 'gone');
      throw new SandboxError('SANDBOX_CONTAINER_FAILED', `container for ${scopeKey} did not start: ${messageOf(error)}`, { cause: error });
    }
    if (settings.setupCommand === undefined) return { entry };
    const setup = await this.run(entry, ['bash', '-c', settings.setupCommand], undefined, false);
    if (setup.exitCode === 0 && !setup.timedOut) return { entry };
    await this.remove(entry, 'setup_failed');
    const { durationMs: _durationMs, ...output } = setup;
    return {
      setupFailed: {
        tool: request.call.tool,
        ...output,
        oomKilled: false,
        durationMs: 0,
        containerId: entry.id,
        failure: {
          code: 'setup_failed',
          message: setup.timedOut
            ? `the setup command did not finish within ${settings.timeoutSeconds} s; the tool call did not run`
            : `the setup command exited with ${setup.exitCode}; the tool call did not run`,
        },
      },
    };
  }

  /**
   * An exit status of 137 that the deadline did not cause is a SIGKILL from inside or from the OOM killer:
   * the container's cgroup counts OOM kills, so a new one means this call was it. Where the counter cannot be
   * read (podman may hide it), 137 is taken as out-of-memory.
   */
  private async oomKilled(entry: WarmContainer, outcome: ToolOutcome): Promise<boolean> {
    if (outcome.exitCode !== 137 || outcome.timedOut || entry.removed) return false;
    const counter = await this.probe(entry, 'cat /sys/fs/cgroup/memory.events 2>/dev/null || cat /sys/fs/cgroup/memory/memory.oom_control', 4_096);
    const kills = /^oom_kill (\d+)$/m.exec(counter?.stdout.text ?? '');
    if (!kills) return true;
    const seen = Number(kills[1]);
    const fresh = seen > entry.oomKillsSeen;
    entry.oomKillsSeen = seen;
    return fresh;
  }

  /**
   * After a deadline, with no other call in the container, only the init, its `sleep` and the checking shell
   * should be left. Anything else left the timed-out call's process group (setsid) and would outlive it: the
   * container goes, and the next call gets a fresh one.
   */
  private async removeIfAnythingEscaped(entry: WarmContainer): Promise<void> {
    const census = await this.probe(entry, 'set -- /proc/[0-9]*; echo $#', 64);
    // init, sleep, and the census's own sh, timeout and sh.
    const expected = 5;
    if (!census || census.exitCode !== 0 || Number(census.stdout.text.trim()) > expected) await this.remove(entry, 'escaped');
  }

  /** A small shell script of the runtime's own in the container; undefined when it could not run. */
  private probe(entry: WarmContainer, script: string, outputLimit: number) {
    return runExec(entry.container, {
      cmd: ['sh', '-c', script],
      user: entry.settings.user,
      workingDir: '/',
      deadlineMs: 5_000,
      outputLimit,
      onOverrun: () => this.remove(entry, 'overrun'),
    }).catch(() => undefined);
  }

  private async remove(entry: WarmContainer, reason: ContainerRemovalReason): Promise<void> {
    if (entry.removed) return;
    entry.removed = true;
    clearTimeout(entry.idleTimer);
    this.entries.delete(entry);
    if (this.current.get(entry.key) === entry) {
      this.current.delete(entry.key);
      this.containers.delete(entry.key);
    }
    await entry.container.remove({ force: true }).catch(ignoreGone);
    this.options.onContainerRemoved?.({ containerId: entry.id, scopeKey: entry.scopeKey, reason });
  }

  private async engineCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.engineError(error);
    }
  }

  private engineError(error: unknown): Error {
    if (error instanceof SandboxError) return error;
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(code)) {
      return new SandboxError('SANDBOX_ENGINE_UNREACHABLE', `container engine at ${engineEndpoint()} is not reachable (${code}): run \`clawgate sandbox doctor\``, { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

class ContainerGoneError extends Error {}

function runTool(context: ToolContext, call: ToolCall, workingDir: string): Promise<ToolOutcome> {
  switch (call.tool) {
    case 'Bash':
      return runBash(context, call.input);
    case 'Read':
      return readFile(context, call.input);
    case 'Write':
      return writeFile(context, call.input);
    case 'Edit':
      return editFile(context, call.input);
    case 'Glob':
      return globFiles(context, call.input, workingDir);
    case 'Grep':
      return grepFiles(context, call.input, workingDir);
    default: {
      const unknown: never = call;
      throw new TypeError(`unknown tool ${JSON.stringify(unknown)}`);
    }
  }
}

function scopeKeyOf(request: Pick<ExecuteToolCall, 'agentId' | 'sessionKey' | 'settings'>): string {
  switch (request.settings.scope) {
    case 'session':
      return `session:${request.sessionKey}`;
    case 'agent':
      return `agent:${request.agentId}`;
    case 'shared':
      return 'shared';
  }
}

/** Calls with different settings never share a container, whatever the scope. */
function fingerprint(settings: SandboxSettings): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
}

function ignoreGone(error: unknown): void {
  const status = statusCodeOf(error);
  if (status !== 404 && status !== 409) throw error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
