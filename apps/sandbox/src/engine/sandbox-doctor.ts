import { connectToEngine, engineEndpoint, imageExists, probeEngine } from './docker-engine.js';

export interface DoctorCheck {
  ok: boolean;
  /** What was checked and what was found, one line. */
  message: string;
  /** What to do about it, when it is not ok. */
  fix?: string;
}

export interface ImageRequirement {
  image: string;
  /** Who needs it: "agents.defaults", "agents.alice", … */
  usedBy: string[];
}

/** Is the engine reachable, and does it have every image the configuration names? */
export async function diagnoseSandbox(images: readonly ImageRequirement[], dockerHost = process.env.DOCKER_HOST): Promise<DoctorCheck[]> {
  const endpoint = engineEndpoint(dockerHost);
  const docker = connectToEngine(dockerHost);
  const engine = await probeEngine(docker, endpoint);
  if (!engine.reachable) {
    return [{
      ok: false,
      message: `container engine at ${endpoint} is not reachable (${engine.error ?? 'no answer'})`,
      fix: dockerHost
        ? 'start the engine DOCKER_HOST points at (podman: `podman system service --time=0 unix:///run/podman/podman.sock`), or unset DOCKER_HOST for Docker'
        : 'install and start Docker: `apt-get install docker.io && dockerd --iptables=false --bridge=none &` (see docs/sandbox.md), or set DOCKER_HOST to podman\'s socket',
    }];
  }
  const checks: DoctorCheck[] = [{ ok: true, message: `container engine at ${endpoint} answers: ${engine.version ?? 'unknown version'}` }];
  for (const { image, usedBy } of images) {
    const who = usedBy.join(', ');
    if (await imageExists(docker, image)) checks.push({ ok: true, message: `image ${image} (${who}) exists` });
    else {
      checks.push({
        ok: false,
        message: `image ${image} (${who}) is missing; no registry is needed to make one`,
        fix: `build the default image offline with \`clawgate sandbox build-image --tag ${image}\`, or \`docker load\`/\`docker import\` your own`,
      });
    }
  }
  return checks;
}
