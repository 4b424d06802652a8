export { type Closable, OpenedResources, startOrRelease } from './opened-resources.js';
export { type ServiceStartOptions, startServiceContext } from './start-service-context.js';
