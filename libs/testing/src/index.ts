export { cliEntry, fixturePath, repoRoot } from './repo-paths.js';
export { deleteBusStreams, uniqueBusPrefix } from './nats.js';
