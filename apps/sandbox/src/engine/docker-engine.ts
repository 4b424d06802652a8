import Docker from 'dockerode';
import { SandboxError } from '../errors.js';

/**
 * A client for the engine named by `DOCKER_HOST` (a `unix://` socket — Docker's or podman's compatible API —
 * or `tcp://`), falling back to `/var/run/docker.sock` as the Docker CLI does.
 */
export function connectToEngine(dockerHost: string | undefined = process.env.DOCKER_HOST): Docker {
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock' });
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' });
  }
  throw new SandboxError('SANDBOX_ENGINE_UNREACHABLE', `DOCKER_HOST=${dockerHost}: only unix://, tcp://, http:// and https:// are supported`);
}

/** Where the engine is expected, for messages a person reads. */
export function engineEndpoint(dockerHost: string | undefined = process.env.DOCKER_HOST): string {
  return dockerHost || 'unix:///var/run/docker.sock';
}

export interface EngineStatus {
  reachable: boolean;
  endpoint: string;
  /** e.g. "Docker Engine - Community 20.10.24" or "Podman Engine 4.3.1". */
  version?: string;
  error?: string;
}

export async function probeEngine(docker: Docker, endpoint: string): Promise<EngineStatus> {
  try {
    const version = await docker.version();
    // Docker names its component "Engine", podman "Podman Engine".
    const component = version.Components?.[0]?.Name;
    const name = !component || component === 'Engine' ? 'Docker Engine' : component;
    return { reachable: true, endpoint, version: `${name} ${version.Version} (API ${version.ApiVersion})` };
  } catch (error) {
    return { reachable: false, endpoint, error: error instanceof Error ? error.message : String(error) };
  }
}

/** True when the engine has the image; false on a 404. Other failures are thrown. */
export async function imageExists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (statusCodeOf(error) === 404) return false;
    throw error;
  }
}

export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number') return error.statusCode;
  return undefined;
}
