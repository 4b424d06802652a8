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
