import { createInterface } from 'node:readline';
import { type Command } from 'commander';
import { z } from 'zod';
import { type ResolvedConfig } from '#config';
import { loadConfigOrReport } from '../config-input.js';
import { createPolicyEngine } from '#policy';
import { EXIT } from '../exit-codes.js';
import { checkPolicy, PolicyQueryError, type PolicyQuery } from './policy-check.js';

interface PolicyCheckOptions {
  config?: string;
  channel?: string;
  user?: string;
  account?: string;
  chat?: string;
  batch?: boolean;
}

const BatchLineSchema = z.strictObject({
  channel: z.string(),
  user: z.union([z.string(), z.number().int().nonnegative()]).transform(String),
  chat: z.union([z.string(), z.number().int()]).transform(String).optional(),
  account: z.string().optional(),
  call: z.string(),
});

export function registerPolicyCommand(program: Command): void {
  const policy = program.command('policy').description('ask the policy engine, as the running gateway would');

  policy
    .command('check')
    .description(
      'decide one tool call for a sender: prints {"decision","agent","rule","reason"}; exit 0 allow, 1 deny, 2 bad input.\n' +
        'With --batch, reads JSON lines {"channel","user","chat"?,"account"?,"call"} from stdin and answers each in order.',
    )
    .argument('[call]', "the tool call, e.g. 'Bash(git log --oneline -10)' or 'Write(/etc/hosts)'")
    .option('--config <file>', 'configuration file (default: $CLAWGATE_CONFIG)')
    .option('--channel <channel>', 'telegram, slack or webchat')
    .option('--user <id>', 'the sender\'s platform user id')
    .option('--account <id>', 'the bot account (default: default)')
    .option('--chat <id>', 'a group chat id or #name (default: a direct chat)')
    .option('--batch', 'read queries as JSON lines from stdin')
    .action(async (call: string | undefined, options: PolicyCheckOptions) => {
      const config = loadConfigOrReport(options.config);
      if (!config) return;
      const engine = await createPolicyEngine();
      if (options.batch) {
        if (call || options.channel || options.user) return badInput('--batch takes its queries from stdin, not from flags or arguments');
        process.exitCode = await answerBatch(config, engine);
        return;
      }
      const missing = [!call && 'the call', !options.channel && '--channel', !options.user && '--user'].filter(Boolean);
      if (missing.length > 0) return badInput(`missing ${missing.join(', ')}`);
      try {
        const verdict = checkPolicy(config, engine, { channel: options.channel!, user: options.user!, account: options.account, chat: options.chat, call: call! });
        console.log(JSON.stringify(verdict));
        process.exitCode = verdict.decision === 'allow' ? EXIT.ok : EXIT.failed;
      } catch (error) {
        if (!(error instanceof PolicyQueryError)) throw error;
        badInput(error.message);
      }
    });
}

async function answerBatch(config: ResolvedConfig, engine: Awaited<ReturnType<typeof createPolicyEngine>>): Promise<number> {
  let exitCode: number = EXIT.ok;
  let lineNumber = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    const answer = answerLine(config, engine, line, lineNumber);
    if ('error' in answer) exitCode = EXIT.badInput;
    console.log(JSON.stringify(answer));
  }
  return exitCode;
}

function answerLine(config: ResolvedConfig, engine: Awaited<ReturnType<typeof createPolicyEngine>>, line: string, lineNumber: number) {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { error: `line ${lineNumber}: not JSON` };
  }
  const parsed = BatchLineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { error: `line ${lineNumber}: ${issue.path.join('.') || '(line)'}: ${issue.message}` };
  }
  try {
    return checkPolicy(config, engine, parsed.data satisfies PolicyQuery);
  } catch (error) {
    if (error instanceof PolicyQueryError) return { error: `line ${lineNumber}: ${error.message}` };
    throw error;
  }
}

function badInput(message: string): void {
  console.error(`policy check: ${message}`);
  process.exitCode = EXIT.badInput;
}
