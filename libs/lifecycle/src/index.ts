export { type Closable, OpenedResources, startOrRelease } from './opened-resources.js';
export { type ServiceStartOptions, startServiceContext } from './start-service-context.js';
export { LOG_LEVEL_ENV, LogLevelError, parseLogLevel, SERVICE_LOG_LEVELS, type ServiceLogLevel } from './log-level.js';
export { ServiceLogger, serviceLogger } from './service-logger.js';
