import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rename, rm, chown } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { SandboxError } from '../errors.js';

export const DEFAULT_SANDBOX_IMAGE = 'clawgate-sandbox:latest';
export const SANDBOX_UID = 1000;

/** What goes into the default image: Debian minbase (bash, coreutils, grep, sed, findutils) plus git. */
const EXTRA_PACKAGES = ['git'];

export interface BuildImageOptions {
  tag: string;
  suite: string;
  mirror: string;
  /** Where the prepared rootfs tarball is cached between builds. */
  cacheDir: string;
  /** Build the rootfs again even when a cached tarball exists. */
  refreshRootfs: boolean;
  log: (line: string) => void;
}

export function defaultRootfsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'clawgate', 'sandbox-rootfs');
}

export function rootfsTarballPath(cacheDir: string, suite: string): string {
  return path.join(cacheDir, `debian-${suite}-minbase-${EXTRA_PACKAGES.join('-')}-uid${SANDBOX_UID}.tar`);
}

/**
 * Builds the default sandbox image without a registry: a `debootstrap` rootfs from Debian's mirror (cached as a
 * tarball), a `sandbox` user with uid 1000 and an empty `/workspace`, imported into the engine.
 */
export async function buildSandboxImage(docker: Docker, options: BuildImageOptions): Promise<{ tag: string; rootfsTarball: string; reusedRootfs: boolean }> {
  const tarball = rootfsTarballPath(options.cacheDir, options.suite);
  const reusedRootfs = existsSync(tarball) && !options.refreshRootfs;
  if (reusedRootfs) options.log(`reusing the cached rootfs ${tarball}`);
  else await prepareRootfsTarball(tarball, options);

  options.log(`importing ${tarball} as ${options.tag}`);
  const [repo, tag] = splitTag(options.tag);
  const progress = await docker.importImage(createReadStream(tarball), {
    repo,
    tag,
    changes: [
      `USER ${SANDBOX_UID}:${SANDBOX_UID}`,
      'ENV HOME=/tmp',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'ENV LANG=C.UTF-8',
      'WORKDIR /workspace',
      'CMD ["sleep", "infinity"]',
      'LABEL org.clawgate.sandbox-image=1',
    ],
  });
  await followImport(docker, progress);
  return { tag: options.tag, rootfsTarball: tarball, reusedRootfs };
}

async function prepareRootfsTarball(tarball: string, options: BuildImageOptions): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new SandboxError('SANDBOX_IMAGE_BUILD_FAILED', 'building the rootfs needs root (debootstrap creates device nodes and chowns files): run it as root');
  }
  await mkdir(options.cacheDir, { recursive: true });
  const work = await mkdtemp(path.join(options.cacheDir, 'build-'));
  const rootfs = path.join(work, 'rootfs');
  try {
    options.log(`debootstrap ${options.suite} from ${options.mirror} (about a minute)`);
    await run('debootstrap', ['--variant=minbase', `--include=${EXTRA_PACKAGES.join(',')}`, options.suite, rootfs, options.mirror], options.log,
      'debootstrap is missing: apt-get install debootstrap');
    await appendFile(path.join(rootfs, 'etc/passwd'), `sandbox:x:${SANDBOX_UID}:${SANDBOX_UID}:Clawgate sandbox:/tmp:/bin/bash\n`);
    await appendFile(path.join(rootfs, 'etc/group'), `sandbox:x:${SANDBOX_UID}:\n`);
    await mkdir(path.join(rootfs, 'workspace'), { recursive: true });
    await chown(path.join(rootfs, 'workspace'), SANDBOX_UID, SANDBOX_UID);
    // Package caches and documentation are a third of the size and of no use inside a sandbox without network.
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale']) {
      await rm(path.join(rootfs, dir), { recursive: true, force: true });
      await mkdir(path.join(rootfs, dir), { recursive: true });
    }
    const partial = `${tarball}.partial`;
    options.log(`packing the rootfs into ${tarball}`);
    await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', partial, '.'], options.log, 'tar is missing');
    await rename(partial, tarball);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function splitTag(reference: string): [string, string] {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  return colon > slash ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
}

async function followImport(docker: Docker, progress: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(progress, (error: Error | null, events: Array<{ error?: string }>) => {
      const failed = error?.message ?? events.find((event) => event.error)?.error;
      if (failed) reject(new SandboxError('SANDBOX_IMAGE_BUILD_FAILED', `the engine refused the import: ${failed}`));
      else resolve();
    });
  });
}

function run(command: string, args: string[], log: (line: string) => void, missingHint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keepTail = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-2000);
    };
    child.stdout.on('data', keepTail);
    child.stderr.on('data', keepTail);
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(new SandboxError('SANDBOX_IMAGE_BUILD_FAILED', error.code === 'ENOENT' ? missingHint : `${command}: ${error.message}`));
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        log(tail.trimEnd());
        reject(new SandboxError('SANDBOX_IMAGE_BUILD_FAILED', `${command} exited with ${code}`));
      }
    });
  });
}
