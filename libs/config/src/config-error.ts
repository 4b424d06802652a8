export interface ConfigProblem {
  /** Where in the file, e.g. `channels.telegram.allowedUsers[1]`; `(file)` for problems with the file itself. */
  path: string;
  message: string;
}

/** A configuration that cannot be used. Messages name places and rules, never the values of secrets. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';

  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${formatProblems(problems)}`);
    this.name = 'ConfigError';
  }
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}
