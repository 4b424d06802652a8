import { ConfigError, formatProblems, loadConfig, type ResolvedConfig } from '#config';
import { EXIT } from './exit-codes.js';

/**
 * Loads the configuration a command was given (`--config`, else `CLAWGATE_CONFIG`). An invalid file is bad
 * input: its problems go to stderr, one per line, the exit code becomes 2, and the command gets undefined.
 */
export function loadConfigOrReport(file: string | undefined): ResolvedConfig | undefined {
  try {
    return loadConfig({ file });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${error.source}: invalid configuration\n${formatProblems(error.problems)}`);
    process.exitCode = EXIT.badInput;
    return undefined;
  }
}
