import path from 'node:path';
import { type ConfigProblem } from './config-error.js';
import { type RawSandbox } from './schema.js';

export interface SandboxMount {
  host: string;
  container: string;
  readonly: boolean;
}

/** The container a tool call runs in. Hardening that does not depend on config lives in the sandbox service. */
export interface SandboxSettings {
  type: 'docker';
  image: string;
  setupCommand: string | undefined;
  network: string;
  readonlyRootfs: boolean;
  user: string;
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  mounts: SandboxMount[];
  scope: 'session' | 'agent' | 'shared';
  idleTimeoutSeconds: number;
  timeoutSeconds: number;
}

export const SANDBOX_DEFAULTS = {
  network: 'none',
  readonlyRootfs: true,
  user: '1000:1000',
  memoryBytes: 512 * 1024 ** 2,
  nanoCpus: 1e9,
  pidsLimit: 256,
  scope: 'session',
  idleTimeoutSeconds: 600,
  timeoutSeconds: 120,
} as const;

const MIN_MEMORY_BYTES = 6 * 1024 ** 2;
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Host paths no sandbox may see: the engine's socket would hand over the host, the others hold credentials
 * or the system itself. A mount of one of these, of anything below them, or of a directory above them is
 * refused.
 */
const SENSITIVE_HOST_PATHS = ['/', '/etc', '/root', '/proc', '/sys', '/dev', '/boot', '/var/run', '/run', '/var/lib/docker', '/var/lib/containers'];
const SENSITIVE_NAMES = new Set(['.ssh', '.gnupg', '.aws', '.kube', '.docker', 'docker.sock', 'podman.sock']);

/** Bytes of a Docker-style size ("512m", "2g", 1048576); undefined with a message when it is not one. */
export function parseMemorySize(value: string | number): { bytes: number } | { error: string } {
  let bytes: number;
  if (typeof value === 'number') {
    bytes = value;
  } else {
    const match = /^\s*(-?\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*$/i.exec(value);
    if (!match) return { error: 'must be a size such as "512m" or "2g" (units b, k, m, g)' };
    bytes = Number(match[1]) * (SIZE_UNITS[match[2]!.toLowerCase()] ?? 1);
  }
  if (!Number.isFinite(bytes) || bytes <= 0) return { error: 'must be a positive size' };
  if (bytes < MIN_MEMORY_BYTES) return { error: 'must be at least 6m (the engine refuses less)' };
  return { bytes: Math.floor(bytes) };
}

export function sensitiveMountReason(hostPath: string): string | undefined {
  const normalized = path.posix.normalize(hostPath).replace(/\/+$/, '') || '/';
  for (const sensitive of SENSITIVE_HOST_PATHS) {
    if (normalized === sensitive) return `mounting ${sensitive} would expose the host`;
    if (sensitive !== '/' && normalized.startsWith(`${sensitive}/`)) return `${sensitive} and everything below it may not be mounted`;
  }
  const names = normalized.split('/');
  const secretName = names.find((name) => SENSITIVE_NAMES.has(name));
  if (secretName) return `paths containing "${secretName}" may not be mounted (credentials or the container engine)`;
  return undefined;
}

/** Why a `uid[:gid]` is refused: the sandbox never runs as root, nor in root's group. */
export function rootUserReason(user: string): string | undefined {
  const [uid, gid] = user.split(':');
  if (Number(uid) === 0) return 'is refused: uid 0 is root, and the sandbox never runs as root';
  if (gid !== undefined && Number(gid) === 0) return 'is refused: gid 0 is root\'s group, and the sandbox never runs with it';
  return undefined;
}

/** The base layer's sandbox with the agent's on top: the agent's keys win, `mounts` is replaced whole. */
export function resolveSandbox(
  base: RawSandbox | undefined,
  own: RawSandbox | undefined,
  pathPrefix: string,
  problems: ConfigProblem[],
): SandboxSettings | undefined {
  const type = own?.type ?? base?.type;
  if (!type) return undefined;
  const docker = { ...base?.docker, ...own?.docker, resources: { ...base?.docker?.resources, ...own?.docker?.resources } };
  if (!docker.image) {
    problems.push({ path: `${pathPrefix}.docker.image`, message: 'is required: the sandbox needs an image' });
    return undefined;
  }
  let memoryBytes: number = SANDBOX_DEFAULTS.memoryBytes;
  if (docker.resources.memory !== undefined) {
    const parsed = parseMemorySize(docker.resources.memory);
    if ('error' in parsed) problems.push({ path: `${pathPrefix}.docker.resources.memory`, message: parsed.error });
    else memoryBytes = parsed.bytes;
  }
  let nanoCpus: number = SANDBOX_DEFAULTS.nanoCpus;
  if (docker.resources.cpus !== undefined) {
    const cpus = Number(docker.resources.cpus);
    if (!Number.isFinite(cpus) || cpus <= 0 || cpus > 1024) {
      problems.push({ path: `${pathPrefix}.docker.resources.cpus`, message: 'must be a positive number of CPUs such as 1.0 or "0.5"' });
    } else nanoCpus = Math.round(cpus * 1e9);
  }
  const pidsLimit = docker.resources.pids ?? SANDBOX_DEFAULTS.pidsLimit;
  if (pidsLimit <= 0) problems.push({ path: `${pathPrefix}.docker.resources.pids`, message: 'must be a positive number' });
  const user = docker.user ?? SANDBOX_DEFAULTS.user;
  const rootReason = rootUserReason(user);
  if (rootReason) problems.push({ path: `${pathPrefix}.docker.user`, message: rootReason });
  const mounts = (docker.mounts ?? []).map((mount, index) => {
    const reason = sensitiveMountReason(mount.host);
    if (reason) problems.push({ path: `${pathPrefix}.docker.mounts[${index}].host`, message: `is refused: ${reason}` });
    if (path.posix.normalize(mount.container) === '/') {
      problems.push({ path: `${pathPrefix}.docker.mounts[${index}].container`, message: 'must not be the container\'s root' });
    }
    return { host: path.posix.normalize(mount.host), container: path.posix.normalize(mount.container), readonly: mount.readonly ?? false };
  });
  return {
    type,
    image: docker.image,
    setupCommand: docker.setupCommand,
    network: docker.network ?? SANDBOX_DEFAULTS.network,
    readonlyRootfs: docker.readonlyRootfs ?? SANDBOX_DEFAULTS.readonlyRootfs,
    user,
    memoryBytes,
    nanoCpus,
    pidsLimit,
    mounts,
    scope: own?.scope ?? base?.scope ?? SANDBOX_DEFAULTS.scope,
    idleTimeoutSeconds: own?.idleTimeoutSeconds ?? base?.idleTimeoutSeconds ?? SANDBOX_DEFAULTS.idleTimeoutSeconds,
    timeoutSeconds: own?.timeoutSeconds ?? base?.timeoutSeconds ?? SANDBOX_DEFAULTS.timeoutSeconds,
  };
}
