import { readFileSync } from 'node:fs';
import path from 'node:path';
import JSON5 from 'json5';
import { type z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { formatPath } from './config-path.js';
import { resolveConfig } from './resolve-config.js';
import { type ResolvedConfig } from './resolved-config.js';
import { ConfigSchema } from './schema.js';
import { substituteEnvironment } from './substitute-env.js';

export interface LoadConfigOptions {
  /** `--config FILE`; falls back to `CLAWGATE_CONFIG`. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export const CONFIG_ENV_VAR = 'CLAWGATE_CONFIG';

/** Which file to load: the flag, else `CLAWGATE_CONFIG`, else a ConfigError saying how to name one. */
export function configFilePath(options: LoadConfigOptions = {}): string {
  const env = options.env ?? process.env;
  const file = options.file ?? env[CONFIG_ENV_VAR];
  if (!file) {
    throw new ConfigError('(no file)', [{ path: '(file)', message: `no configuration file: pass --config FILE or set ${CONFIG_ENV_VAR}` }]);
  }
  return path.resolve(file);
}

/** Reads, substitutes, validates and resolves a config file; throws ConfigError listing every problem. */
export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const file = configFilePath(options);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new ConfigError(file, [{ path: '(file)', message: reason }]);
  }
  return parseConfigText(text, file, options.env ?? process.env);
}

/** The same as `loadConfig` for text already in hand; `source` names it in messages. */
export function parseConfigText(text: string, source: string, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text);
  } catch (error) {
    // JSON5's message quotes the offending character, which could be part of a secret: keep only the position.
    const { lineNumber, columnNumber } = error as { lineNumber?: number; columnNumber?: number };
    const where = lineNumber !== undefined ? `line ${lineNumber}, column ${columnNumber ?? 0}` : 'unknown position';
    throw new ConfigError(source, [{ path: '(file)', message: `is not valid JSON5 (syntax error at ${where})` }]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(source, [{ path: '(root)', message: 'must be an object' }]);
  }
  const substituted = substituteEnvironment(parsed, env);
  // A value whose variable is missing is already reported; what validation says about its stand-in is noise.
  const unresolved = new Set(substituted.problems.map((p) => p.path));
  const problems: ConfigProblem[] = [];
  const fail = (): never => {
    throw new ConfigError(source, [...substituted.problems, ...problems.filter((p) => !unresolved.has(p.path))]);
  };
  const result = ConfigSchema.safeParse(substituted.value);
  if (!result.success) {
    problems.push(...result.error.issues.flatMap(issueToProblems));
    return fail();
  }
  const resolved = resolveConfig(result.data, source, substituted.fromEnvironment, problems);
  if (problems.length > 0 || substituted.problems.length > 0) return fail();
  return resolved;
}

function issueToProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const lines = issue.message.split('\n');
    return issue.keys.map((key, index) => ({ path: formatPath([...issue.path, key]), message: lines[index] ?? 'unknown key' }));
  }
  const message = /received undefined$/.test(issue.message) ? 'is required' : issue.message;
  return [{ path: formatPath(issue.path), message }];
}
