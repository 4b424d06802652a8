import { type CommandText } from './rules.js';

/** One word of a command after quote removal. `value` is null when part of it is known only at run time. */
export interface ShellWord {
  value: string | null;
  /** The word's characters, with a hole for every part known only at run time. */
  parts: CommandText;
  /** The word as written, for messages and for allow matching of words with run-time parts. */
  source: string;
}

/**
 * What running a shell command would do, as far as policy is concerned. `full` effects need an allow rule and
 * must escape every deny rule; `deny-only` effects (a wrapper around another command, a file an argument names)
 * need only escape the deny rules.
 */
export type ShellEffect =
  | { kind: 'command'; readonly words: readonly ShellWord[]; scope: 'full' | 'deny-only'; readonly origin: string }
  | {
      kind: 'path';
      access: 'read' | 'write';
      /** Normalized absolute paths the word may name (one per possible working directory); null when unknown. */
      paths: readonly string[] | null;
      /** The word is a shell glob: `paths` are its literal leading directories and it may reach anything below. */
      below: boolean;
      scope: 'full' | 'deny-only';
      origin: string;
    }
  | { kind: 'opaque'; reason: string };

export function literalWord(value: string): ShellWord {
  return { value, parts: [...value], source: value };
}
