import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether this runs from `libs/` sources or from the compiled `dist/libs/`. */
export const repoRoot = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parts = here.split(path.sep);
  const dist = parts.lastIndexOf('dist');
  return dist >= 0 ? parts.slice(0, dist).join(path.sep) : path.resolve(here, '../../..');
})();

export function fixturePath(...segments: string[]): string {
  return path.join(repoRoot, 'test', 'fixtures', ...segments);
}

/** The compiled CLI entry point, for tests that run `clawgate` as a user would. */
export const cliEntry = path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js');
