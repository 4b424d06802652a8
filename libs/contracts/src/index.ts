export { ChannelNameSchema, InboundMessageSchema, type ChannelName, type InboundMessage, type MessageAddress } from './messages.js';
export * from './event-catalog.js';
export {
  assertSubjectToken,
  DEFAULT_SUBJECT_PREFIX,
  InvalidSubjectPrefixError,
  InvalidSubjectTokenError,
  STREAM_FLOWS,
  type StreamDefinition,
  type StreamFlow,
  Subjects,
} from './subjects.js';
export * from './agent-events.js';
export {
  DELIVERY_EVENT_TYPES,
  DeliveryRouteSchema,
  ReplyDeliveredSchema,
  ReplyDeliveryFailedSchema,
  ReplyDeliveryFailureReasonSchema,
  type DeliveryRoute,
  type ReplyDelivered,
  type ReplyDeliveryFailed,
} from './channel-delivery.js';
