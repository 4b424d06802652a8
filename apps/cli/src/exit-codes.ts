/** Exit codes every command shares: scripts tell a refusal from a broken invocation. */
export const EXIT = {
  ok: 0,
  /** A check found something (a deny, a failed verification). */
  failed: 1,
  /** The input itself is wrong: flags, config, malformed lines. */
  badInput: 2,
} as const;
