export { ConcurrencyLimit } from './concurrency-limit.js';
export { recheckWithPolicy } from './policy-recheck.js';
export { containerCreateOptions, LABELS, workingDirectoryOf, type ContainerIdentity } from './container/container-spec.js';
export { connectToEngine, engineEndpoint, imageExists, probeEngine, type EngineStatus } from './engine/docker-engine.js';
export { diagnoseSandbox, type DoctorCheck, type ImageRequirement } from './engine/sandbox-doctor.js';
export { SandboxError, type SandboxErrorCode } from './errors.js';
export { DEFAULT_OUTPUT_LIMIT_CHARS, type CapturedOutput } from './exec/captured-output.js';
export { buildSandboxImage, DEFAULT_SANDBOX_IMAGE, defaultRootfsCacheDir, type BuildImageOptions } from './image/build-sandbox-image.js';
export {
  SandboxRuntime,
  type ContainerRemovalReason,
  type ContainerRemoved,
  type ExecuteToolCall,
  type SandboxRuntimeOptions,
  type WarmContainerInfo,
} from './sandbox-runtime.js';
export type {
  BashInput,
  EditInput,
  GlobInput,
  GrepInput,
  PathDecision,
  PathTool,
  ReadInput,
  RecheckPath,
  ToolCall,
  ToolName,
  WriteInput,
} from './tools/tool-call.js';
export type { ToolCallResult, ToolFailure, ToolFailureCode } from './tools/tool-result.js';
