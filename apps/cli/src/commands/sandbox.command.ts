import { type Command } from 'commander';
import { allAgents, ConfigError, CONFIG_ENV_VAR, formatProblems, loadConfig } from '#config';
import { buildSandboxImage, DEFAULT_SANDBOX_IMAGE, defaultRootfsCacheDir } from '../../../sandbox/src/image/build-sandbox-image.js';
import { connectToEngine } from '../../../sandbox/src/engine/docker-engine.js';
import { diagnoseSandbox, type ImageRequirement } from '../../../sandbox/src/engine/sandbox-doctor.js';
import { SandboxError } from '../../../sandbox/src/errors.js';
import { EXIT } from '../exit-codes.js';

export function registerSandboxCommand(program: Command): void {
  const sandbox = program.command('sandbox').description('the containers tool calls run in: build the default image, check the engine');

  sandbox
    .command('build-image')
    .description('build the default sandbox image (Debian minbase: bash, coreutils, git) offline from a debootstrap rootfs')
    .option('--tag <tag>', 'image name', DEFAULT_SANDBOX_IMAGE)
    .option('--suite <suite>', 'Debian suite', 'bookworm')
    .option('--mirror <url>', 'Debian mirror debootstrap downloads from', 'http://deb.debian.org/debian')
    .option('--cache-dir <dir>', 'where the rootfs tarball is kept between builds', defaultRootfsCacheDir())
    .option('--refresh-rootfs', 'debootstrap again even when a cached rootfs exists', false)
    .action(async (options: { tag: string; suite: string; mirror: string; cacheDir: string; refreshRootfs: boolean }) => {
      try {
        const built = await buildSandboxImage(connectToEngine(), { ...options, log: (line) => console.error(line) });
        console.log(`built ${built.tag} from ${built.rootfsTarball}`);
      } catch (error) {
        if (!(error instanceof SandboxError)) throw error;
        console.error(`build-image failed: ${error.message}`);
        process.exitCode = EXIT.failed;
      }
    });

  sandbox
    .command('doctor')
    .description('is the container engine reachable, and does it have the configured images? (exit 1 with the fix if not)')
    .option('--config <file>', `configuration file (default: $${CONFIG_ENV_VAR}; without one, the default image is checked)`)
    .action(async (options: { config?: string }) => {
      let images: ImageRequirement[];
      try {
        images = requiredImages(options.config);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(`${error.source}: invalid configuration`);
        console.error(formatProblems(error.problems));
        process.exitCode = EXIT.badInput;
        return;
      }
      const checks = await diagnoseSandbox(images);
      for (const check of checks) {
        console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.message}`);
        if (check.fix) console.log(`     fix: ${check.fix}`);
      }
      process.exitCode = checks.every((check) => check.ok) ? EXIT.ok : EXIT.failed;
    });
}

function requiredImages(configFile: string | undefined): ImageRequirement[] {
  if (!configFile && !process.env[CONFIG_ENV_VAR]) return [{ image: DEFAULT_SANDBOX_IMAGE, usedBy: ['the default image'] }];
  const config = loadConfig({ file: configFile });
  const byImage = new Map<string, string[]>();
  for (const agent of allAgents(config)) {
    if (!agent.sandbox) continue;
    const users = byImage.get(agent.sandbox.image) ?? [];
    users.push(`agents.${agent.id}`);
    byImage.set(agent.sandbox.image, users);
  }
  return [...byImage].map(([image, usedBy]) => ({ image, usedBy }));
}
