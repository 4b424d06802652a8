export type SandboxErrorCode =
  | 'SANDBOX_ENGINE_UNREACHABLE'
  | 'SANDBOX_IMAGE_MISSING'
  | 'SANDBOX_CONTAINER_FAILED'
  | 'SANDBOX_IMAGE_BUILD_FAILED'
  | 'SANDBOX_STOPPED';

/** Something went wrong with the engine or the container, not with the tool call itself. */
export class SandboxError extends Error {
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
