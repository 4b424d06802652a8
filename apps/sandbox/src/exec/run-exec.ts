import type Docker from 'dockerode';
import { type Duplex } from 'node:stream';
import { OutputCapture, type CapturedOutput } from './captured-output.js';

export interface ExecRequest {
  /** argv; never a shell string built from input — inputs travel as arguments or on stdin. */
  cmd: string[];
  user: string;
  workingDir: string;
  stdin?: Buffer | undefined;
  /** In-container deadline: the command runs under `timeout`, which kills its whole process group. */
  deadlineMs: number;
  outputLimit: number;
  /**
   * Called when the exec is still not finished some seconds after its deadline (a process that left the
   * group and holds the output open, an exhausted PID table): the caller kills the container.
   */
  onOverrun: () => Promise<void>;
}

export interface ExecOutcome {
  exitCode: number | null;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
  timedOut: boolean;
  durationMs: number;
}

/** Seconds `timeout` waits after SIGTERM before it sends SIGKILL to the group. */
const KILL_AFTER_SECONDS = 1;
/** How long after the in-container deadline the container itself is killed. */
const OVERRUN_GRACE_MS = 3_000;
/** `timeout`'s exit codes: 124 when it stopped the command, 137 when it had to SIGKILL. */
const TIMEOUT_EXIT_CODES = new Set([124, 137]);

/**
 * `timeout` puts the command in a process group of its own and signals the whole group at the deadline.
 * Around it, a shell that outlives the group kills whatever is left of it when the command returns, so
 * nothing a call started in the background outlives the call. (A process that calls setsid leaves the group;
 * if it holds the output open, the container is killed at the overrun.) Stdin is passed through fd 4 because
 * a background job's stdin would otherwise be /dev/null.
 */
const GROUP_WRAPPER = `exec 4<&0
timeout -k ${KILL_AFTER_SECONDS} "$0" "$@" <&4 4<&- &
pid=$!
wait "$pid"; rc=$?
while kill -s KILL -- "-$pid" 2>/dev/null; do :; done
exit "$rc"`;

/** Wraps argv so its whole process group dies at the deadline, and when it returns. */
export function underDeadline(cmd: string[], deadlineMs: number): string[] {
  const seconds = Math.max(0.001, deadlineMs / 1000).toFixed(3);
  return ['sh', '-c', GROUP_WRAPPER, seconds, ...cmd];
}

/** Runs one exec in a running container: stdout and stderr kept apart and capped, the exit code read back. */
export async function runExec(container: Docker.Container, request: ExecRequest): Promise<ExecOutcome> {
  const started = performance.now();
  const exec = await container.exec({
    Cmd: underDeadline(request.cmd, request.deadlineMs),
    User: request.user,
    WorkingDir: request.workingDir,
    AttachStdin: request.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = (await exec.start({ hijack: true, stdin: request.stdin !== undefined })) as Duplex;
  const stdout = new OutputCapture(request.outputLimit);
  const stderr = new OutputCapture(request.outputLimit);
  container.modem.demuxStream(stream, stdout, stderr);
  if (request.stdin !== undefined) stream.end(request.stdin);

  let overran = false;
  const overrun = setTimeout(() => {
    overran = true;
    void request.onOverrun().finally(() => stream.destroy());
  }, request.deadlineMs + KILL_AFTER_SECONDS * 1000 + OVERRUN_GRACE_MS);
  try {
    await new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
  } finally {
    clearTimeout(overrun);
  }
  const durationMs = performance.now() - started;
  const exitCode = overran ? null : await exitCodeOf(exec);
  const timedOut = overran || (exitCode !== null && TIMEOUT_EXIT_CODES.has(exitCode) && durationMs >= request.deadlineMs);
  return { exitCode, stdout: stdout.result(), stderr: stderr.result(), timedOut, durationMs };
}

/** The output can end a moment before the engine records the exit code (podman especially): ask again. */
async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return null;
}
