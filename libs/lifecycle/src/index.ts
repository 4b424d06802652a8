export { type Closable, OpenedResources, startOrRelease } from './opened-resources.js';
