export { Bus, type BusOptions, type PublishAck, type PublishOptions } from './bus.js';
export { BUS, BusModule, type BusModuleOptions } from './bus.module.js';
export { connectionSettingsFromEnv, DEFAULT_NATS_URL, type BusConnectionSettings } from './connection-settings.js';
export {
  CONSUMER_DEFAULTS,
  type ConsumeOptions,
  type Consumption,
  type DeliveryContext,
  type ExhaustedMessage,
  type InvalidMessage,
  type InvalidMessageReason,
} from './durable-consumer.js';
export {
  BusArgumentError,
  BusClosedError,
  BusConfigError,
  BusConnectionError,
  BusConsumeError,
  BusConsumerSetupError,
  BusError,
  type BusErrorCode,
  BusInvalidReplyError,
  BusPublishError,
  BusRemoteError,
  BusRequestError,
  BusServeError,
  BusStreamSetupError,
  BusTimeoutError,
  type RequestFailure,
} from './errors.js';
export {
  HANDLER_FAILED_CODE,
  INVALID_REQUEST_CODE,
  REQUEST_DEFAULTS,
  type Reply,
  type RequestContext,
  type RequestHandler,
  type RequestOptions,
  type ServeOptions,
  type Service,
} from './request-reply.js';
export { DUPLICATE_WINDOW_MS, STREAM_MAX_AGE_MS } from './streams.js';
export {
  childTraceparent,
  isValidTraceparent,
  newTraceparent,
  parseTraceparent,
  type ParsedTraceparent,
  type TraceContext,
} from './trace-context.js';
export { KeyedSerialQueue } from './keyed-serial-queue.js';
