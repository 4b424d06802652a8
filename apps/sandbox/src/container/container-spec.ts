import type Docker from 'dockerode';
import { rootUserReason, type SandboxSettings } from '#config';
import { SandboxError } from '../errors.js';

export const LABELS = {
  /** Present on every container Clawgate creates. */
  sandbox: 'clawgate.sandbox',
  /** The installation (or test file) that owns it: leftovers are swept by this label at start-up. */
  owner: 'clawgate.owner',
  /** The runtime instance (one per process start) that created it. */
  runtime: 'clawgate.runtime',
  scope: 'clawgate.scope',
  /** The session, agent or `shared` the container is kept warm for. */
  scopeKey: 'clawgate.scope-key',
  agent: 'clawgate.agent',
  session: 'clawgate.session',
} as const;

export interface ContainerIdentity {
  owner: string;
  runtime: string;
  scopeKey: string;
  agentId: string;
  /** The session that caused the container to be created (the first of many under scope agent/shared). */
  sessionKey: string;
}

/** The working directory of tool calls: the `/workspace` mount if there is one, else the first mount, else /tmp. */
export function workingDirectoryOf(settings: SandboxSettings): string {
  return settings.mounts.find((mount) => mount.container === '/workspace')?.container ?? settings.mounts[0]?.container ?? '/tmp';
}

/**
 * Create options for a sandbox container. Hardening that does not depend on configuration is set here
 * whatever `settings` says: every capability dropped, no-new-privileges, a non-root user, a PID limit,
 * a tmpfs /tmp, no swap beyond the memory limit, an init that reaps orphans, ownership labels.
 */
export function containerCreateOptions(settings: SandboxSettings, identity: ContainerIdentity): Docker.ContainerCreateOptions {
  const rootReason = rootUserReason(settings.user);
  if (rootReason) throw new SandboxError('SANDBOX_CONTAINER_FAILED', `sandbox user ${settings.user} ${rootReason}`);
  const tmpfsBytes = Math.max(16 * 1024 ** 2, Math.floor(settings.memoryBytes / 2));
  return {
    Image: settings.image,
    // The container only has to stay up; tool calls are execs. GNU and busybox sleep both take this number.
    Entrypoint: ['sleep'],
    Cmd: ['2147483647'],
    User: settings.user,
    WorkingDir: workingDirectoryOf(settings),
    Env: ['HOME=/tmp'],
    Tty: false,
    OpenStdin: false,
    NetworkDisabled: settings.network === 'none',
    Labels: {
      [LABELS.sandbox]: '1',
      [LABELS.owner]: identity.owner,
      [LABELS.runtime]: identity.runtime,
      [LABELS.scope]: settings.scope,
      [LABELS.scopeKey]: identity.scopeKey,
      [LABELS.agent]: identity.agentId,
      [LABELS.session]: identity.sessionKey,
    },
    HostConfig: {
      Init: true,
      NetworkMode: settings.network,
      ReadonlyRootfs: settings.readonlyRootfs,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: settings.pidsLimit,
      Memory: settings.memoryBytes,
      MemorySwap: settings.memoryBytes,
      NanoCpus: settings.nanoCpus,
      IpcMode: 'private',
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${tmpfsBytes}` },
      Mounts: settings.mounts.map((mount) => ({ Type: 'bind', Source: mount.host, Target: mount.container, ReadOnly: mount.readonly })),
      AutoRemove: false,
      RestartPolicy: { Name: 'no' },
    },
  };
}
