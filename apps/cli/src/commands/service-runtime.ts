import v8 from 'node:v8';

/**
 * The Node.js runtime settings a `clawgate start` process runs with unless the operator chose their own.
 *
 * V8 and glibc size a process for the machine, not for the service. On a 24 GB host V8 gives the young
 * generation 64 MB semi-spaces and lets the old generation grow to about four times what is live before it
 * collects, and glibc keeps a malloc arena per thread. A Clawgate service then holds 250–470 MB of RSS with
 * about 50 MB live (docs/benchmarks.md, "Memory"). These settings keep each service near what it uses:
 *
 * - `--max-semi-space-size=8`: a 16 MB young generation. Scavenges are more frequent and each is as cheap.
 *   The agent's is 2 (a 4 MB young generation): its peak RSS under the pipeline benchmark fell from 155–159 MB
 *   to 144–149 MB, for ~13 % more CPU per message in the agent (more scavenges) and ~6 % less throughput — the
 *   one service that was over its 150 MB target (docs/benchmarks.md, "host E"). `start all` keeps 8.
 * - `--max-old-space-size=1024`: a ceiling no service nears (the agent's bounded caches hold < 20 MB; `start
 *   all`, every service in one heap, holds ~150 MB live), set because below 2 GB V8 grows the old generation by
 *   ~1.6× instead of 4× after each collection. Left out where Node's own limit is already lower (a container
 *   with little memory: Node sizes the heap from the cgroup limit, and raising it would let the kernel kill the
 *   process before V8 collects).
 * - `--heap-growing-percent=15`: after each full collection V8 lets the old generation grow to about 1.15× what
 *   survived before the next, instead of the 1.1–4× it picks from its own speed (~1.65× in the agent under
 *   load: ~72 MB for ~44 MB live). Full collections run more often, each as cheap: under the pipeline benchmark
 *   the agent's peak RSS was ~15 MB lower and the gateway's ~12 MB (medians of 6 runs against 3) at the same CPU
 *   per message (docs/benchmarks.md, "host D"). Added only on Node 24's V8, where it was measured.
 * - `MALLOC_ARENA_MAX=2`: two glibc arenas instead of one per thread (V8's GC helpers, libuv's pool).
 * - `--no-maglev-destroy-on-background --no-maglev-build-code-on-background --no-maglev-deopt-data-on-background`:
 *   V8's mid-tier compiler (Maglev) finishes and frees its compile jobs on the main thread. Freed from a
 *   helper thread, their zone memory (tens of MB at peak) left glibc's main arena fragmented and unreturned:
 *   the agent's malloc heap held 20–34 MB instead of 14–18 MB, 6–10 MB more RSS at no measured CPU cost
 *   (docs/benchmarks.md, "host C"). V8-internal flags, so added only on the V8 they were measured with (Node
 *   24's 13.6): an unknown flag would stop Node from starting.
 *
 * - `--memory-saver-mode`, the agent only: V8's mode for memory over CPU (what Chrome switches on for background
 *   tabs), here for good. The agent was the one service over its 150 MB target on a faster host, where its old
 *   generation churned fastest (each model call's request and history promoted while the call was in flight):
 *   peak RSS 151.6–165.7 MB over 8 pipeline-benchmark runs, 139.1–144.7 MB over 7 with this flag, for ~20 %
 *   more agent CPU per message and up to 20 % less throughput (docs/benchmarks.md, "host G"). V8-internal, so
 *   added only on the V8 it was measured with; not for `start all`, where it was not measured.
 *
 * A flag the operator gave (on the command line or in `NODE_OPTIONS`, either spelling) and an environment
 * variable already set are kept; `--max-heap-size` (which V8 refuses alongside the other two) keeps both heap
 * flags out. `CLAWGATE_RUNTIME_DEFAULTS=off` turns all of this off.
 */
export const RUNTIME_DEFAULTS_ENV = 'CLAWGATE_RUNTIME_DEFAULTS';

interface ServiceNodeFlag {
  readonly name: string;
  /** Written `--name=value`; a flag without one is written `--name`. */
  readonly value?: number;
  /** Flags that, given by the operator, mean this one is not added. */
  readonly setBy: readonly string[];
  /** A ceiling: not added where Node's own heap limit is already lower. */
  readonly ceiling?: true;
  /** Added only on a V8 whose version starts with this (a V8-internal flag, unknown to other versions). */
  readonly v8?: string;
  /** Another value for these services. */
  readonly per?: Readonly<Record<string, number>>;
  /** Added only for these services (not for `all`, every service in one process, where it was not measured). */
  readonly only?: readonly StartedService[];
}

/** Node 24 LTS's V8, where the V8-internal flags below were measured. */
const MEASURED_V8 = '13.6';

function mainThreadMaglevFlag(job: string): ServiceNodeFlag {
  return { name: `no-maglev-${job}-on-background`, setBy: [`maglev-${job}-on-background`, `no-maglev-${job}-on-background`], v8: MEASURED_V8 };
}

export const SERVICE_NODE_FLAGS: readonly ServiceNodeFlag[] = [
  { name: 'max-semi-space-size', value: 8, per: { agent: 2 }, setBy: ['max-semi-space-size', 'max-heap-size'] },
  { name: 'max-old-space-size', value: 1024, setBy: ['max-old-space-size', 'max-old-space-size-percentage', 'max-heap-size'], ceiling: true },
  { name: 'heap-growing-percent', value: 15, setBy: ['heap-growing-percent'], v8: MEASURED_V8 },
  mainThreadMaglevFlag('destroy'),
  mainThreadMaglevFlag('build-code'),
  mainThreadMaglevFlag('deopt-data'),
  { name: 'memory-saver-mode', setBy: ['memory-saver-mode', 'no-memory-saver-mode'], v8: MEASURED_V8, only: ['agent'] },
];

/** The service `clawgate start` runs: one of its services, or `all` of them in one process. */
export type StartedService = string;

function written(flag: ServiceNodeFlag, service: StartedService = 'all'): string {
  const value = flag.per?.[service] ?? flag.value;
  return value === undefined ? `--${flag.name}` : `--${flag.name}=${value}`;
}

/** A flag's other values and the services it is limited to, as an operator reads them: ` (2 for the agent)`. */
function exceptions(flag: ServiceNodeFlag): string {
  const others = [...Object.entries(flag.per ?? {}).map(([service, value]) => `${value} for the ${service}`), ...(flag.only ?? []).map((service) => `the ${service} only`)];
  return others.length === 0 ? '' : ` (${others.join(', ')})`;
}

export const SERVICE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** Environment variables as an operator would write them: `NAME=value NAME=value`. */
function assignments(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}

export interface RuntimePlan {
  /** Node flags to add, `--name=value`. */
  readonly flags: readonly string[];
  /** Environment variables to add. */
  readonly env: Readonly<Record<string, string>>;
}

export class RuntimeDefaultsError extends Error {}

/** The defaults as an operator would write them, e.g. for `--help`. */
export function describeRuntimeDefaults(): string {
  const described = (flag: ServiceNodeFlag) => `${written(flag)}${exceptions(flag)}`;
  const flags = SERVICE_NODE_FLAGS.filter((flag) => !flag.v8).map(described).join(' ');
  const env = assignments(SERVICE_ENV).join(' ');
  const v8Only = SERVICE_NODE_FLAGS.filter((flag) => flag.v8).map(described).join(' ');
  return `${flags}, ${env} and, on V8 ${MEASURED_V8} (Node 24), ${v8Only}`;
}

/** `--max_old_space_size=1` and `--max-old-space-size 1` name the same flag: its name with dashes, or undefined. */
function flagName(token: string): string | undefined {
  if (!token.startsWith('--')) return undefined;
  return token.slice(2).split('=', 1)[0]!.replaceAll('_', '-');
}

/**
 * What this process lacks of the defaults: undefined when it has them all, when the operator set every one
 * of them otherwise, or when they are turned off. Throws RuntimeDefaultsError on a bad `CLAWGATE_RUNTIME_DEFAULTS`.
 */
export function missingRuntimeDefaults(
  execArgv: readonly string[],
  env: NodeJS.ProcessEnv,
  nodeHeapLimitMb = Number.POSITIVE_INFINITY,
  v8Version: string = process.versions.v8,
  service: StartedService = 'all',
): RuntimePlan | undefined {
  const setting = env[RUNTIME_DEFAULTS_ENV];
  if (setting !== undefined && setting !== 'on' && setting !== 'off') {
    throw new RuntimeDefaultsError(`${RUNTIME_DEFAULTS_ENV} must be "on" or "off", not "${setting}"`);
  }
  if (setting === 'off') return undefined;
  const given = new Set([...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].map(flagName).filter((name) => name !== undefined));
  const flags = SERVICE_NODE_FLAGS.filter((flag) => !flag.only || flag.only.includes(service))
    .filter((flag) => !flag.setBy.some((name) => given.has(name)))
    .filter((flag) => !flag.ceiling || (flag.value ?? 0) < nodeHeapLimitMb)
    .filter((flag) => !flag.v8 || v8Version.startsWith(`${flag.v8}.`))
    .map((flag) => written(flag, service));
  const added = Object.fromEntries(Object.entries(SERVICE_ENV).filter(([name]) => env[name] === undefined));
  if (flags.length === 0 && Object.keys(added).length === 0) return undefined;
  return { flags, env: added };
}

/** What `execWithRuntimeDefaults` reads of the process and calls on it: `process` itself, outside tests. */
export type ServiceProcess = Pick<NodeJS.Process, 'execArgv' | 'argv' | 'env' | 'execPath' | 'platform' | 'version' | 'execve'>;

/**
 * Replaces this process (same pid, same stdio, same arguments) with one that has the runtime defaults of
 * `service`, when it lacks any. Returns only when nothing is to change or the process cannot be replaced (a Node without
 * `process.execve`, i.e. before 23.11; Windows; a failed exec): the service then runs with Node's own sizing,
 * and a line on stderr says so and what to set instead.
 *
 * Call it before anything is written to stdout or stderr (output still in a pipe's buffer is lost with the old
 * process) and never in a process started with an IPC channel (`fork()`): the new process does not have it.
 */
export function execWithRuntimeDefaults(
  service: StartedService,
  running: ServiceProcess = process,
  warn: (line: string) => void = (line) => console.error(line),
): void {
  const plan = missingRuntimeDefaults(running.execArgv, running.env, v8.getHeapStatistics().heap_size_limit / 2 ** 20, process.versions.v8, service);
  if (plan === undefined) return;
  const wanted = [...plan.flags, ...assignments(plan.env)].join(' ');
  if (typeof running.execve !== 'function' || running.platform === 'win32') {
    warn(
      `start: running with Node's own memory sizing: Node ${running.version} on ${running.platform} cannot restart itself with ${wanted} ` +
        `(that needs process.execve: Node 23.11 or later, not on Windows). Start node with them yourself, or set ${RUNTIME_DEFAULTS_ENV}=off.`,
    );
    return;
  }
  try {
    running.execve(running.execPath, [running.execPath, ...plan.flags, ...running.execArgv, ...running.argv.slice(1)], { ...running.env, ...plan.env });
  } catch (error) {
    warn(`start: running with Node's own memory sizing (could not apply ${wanted}: ${error instanceof Error ? error.message : String(error)})`);
  }
}
