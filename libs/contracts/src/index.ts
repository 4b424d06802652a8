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
  type DeliveredTo,
  type DeliveryRoute,
  type ReplyDelivered,
  type ReplyDeliveryFailed,
} from './channel-delivery.js';
export {
  BashInputSchema,
  EditInputSchema,
  GlobInputSchema,
  GrepInputSchema,
  isToolName,
  PATH_TOOL_NAMES,
  parseToolCall,
  parseToolCallText,
  ReadInputSchema,
  TOOL_INPUT_SCHEMAS,
  TOOL_NAMES,
  WriteInputSchema,
  type BashInput,
  type EditInput,
  type GlobInput,
  type GrepInput,
  type PathToolName,
  type ReadInput,
  type ToolCall,
  type ToolCallParseResult,
  type ToolName,
  type WriteInput,
} from './tools.js';
export {
  CLAWGATE_EVENT_ID_NAMESPACE,
  deterministicEventId,
  isUuid,
  type EventActor,
  type EventMetadata,
  type NewEvent,
  type RecordedEvent,
} from './events.js';
