export { cliEntry, fixturePath, repoRoot } from './repo-paths.js';
