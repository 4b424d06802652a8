import { z } from 'zod';
import { ConfigSchema } from './schema.js';

/** JSON Schema of the file as authors write it (before `${VAR}` substitution and defaults), for editors. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
    title: 'Clawgate configuration',
  };
}
