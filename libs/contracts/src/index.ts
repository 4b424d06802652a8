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
export {
  CLAWGATE_EVENT_ID_NAMESPACE,
  deterministicEventId,
  isUuid,
  type EventActor,
  type EventMetadata,
  type NewEvent,
  type RecordedEvent,
} from './events.js';
