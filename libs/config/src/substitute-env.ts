import { type ConfigProblem } from './config-error.js';
import { formatPath, type PathSegment } from './config-path.js';

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SubstitutionResult {
  value: unknown;
  problems: ConfigProblem[];
  /** Paths whose string held a `${VAR}` reference: `doctor` checks that secrets come from there. */
  fromEnvironment: Set<string>;
}

/**
 * Replaces `${VAR}` in every string of the parsed file with the variable's value; `$${` stays a literal `${`.
 * An unset variable is a problem naming the variable, never a silent empty string.
 */
export function substituteEnvironment(value: unknown, env: NodeJS.ProcessEnv): SubstitutionResult {
  const problems: ConfigProblem[] = [];
  const fromEnvironment = new Set<string>();

  const visit = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') return substituteString(node, path);
    if (Array.isArray(node)) return node.map((item, index) => visit(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) out[key] = visit(child, [...path, key]);
      return out;
    }
    return node;
  };

  const substituteString = (text: string, path: PathSegment[]): string => {
    if (!text.includes('${')) return text;
    return text.replace(REFERENCE, (match, name: string | undefined) => {
      if (match === '$${') return '${';
      fromEnvironment.add(formatPath(path));
      if (name === undefined || !VARIABLE_NAME.test(name)) {
        problems.push({ path: formatPath(path), message: `"${match}" is not a valid environment reference; write \${NAME} with letters, digits and "_"` });
        return '';
      }
      const resolved = env[name];
      if (resolved === undefined) {
        problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
        return '';
      }
      return resolved;
    });
  };

  return { value: visit(value, []), problems, fromEnvironment };
}
