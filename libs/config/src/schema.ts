import { z } from 'zod';
import { suggestKey } from './did-you-mean.js';

/**
 * The configuration file's shape. The JSON Schema printed by `clawgate config schema` is generated from these
 * same definitions, so editor completion and the validator cannot drift apart. Cross-field rules (a
 * `defaultProvider` that names a provider, rules that parse, …) live in `validate-config.ts`.
 */

/** Objects reject unknown keys, with a did-you-mean: a typo in a security setting must not pass silently. */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      // One line per key; `format-problems.ts` splits them back so each unknown key gets its own path.
      return issue.keys
        .map((key) => {
          const suggestion = suggestKey(key, known);
          return suggestion ? `unknown key (did you mean "${suggestion}"?)` : `unknown key (known keys: ${known.join(', ')})`;
        })
        .join('\n');
    },
  });
}

/** Platform ids are kept exactly: Telegram's numeric ids become their decimal string, never a float. */
const platformId = z.union([
  z.string().trim().min(1, 'must not be empty'),
  z.number().int('must be a whole number').nonnegative('must not be negative').refine(Number.isSafeInteger, 'is too large to be kept exactly; write it as a string'),
], { error: 'must be a user id (a number or a string)' }).transform((id) => String(id));

const allowlist = z.array(platformId).describe('Ids admitted. "*" admits everyone (doctor flags it); an absent or empty list admits nobody.');

const secret = z.string().min(1, 'must not be empty').describe('A secret: write "${ENV_VAR}" to keep it out of the file.');

const token = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, "_" and "-"')
  .max(64, 'must be at most 64 characters');

const absolutePath = z.string().startsWith('/', 'must be an absolute path');

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

const notifyRejected = z
  .boolean()
  .describe('Tell a sender the allowlist rejected that they may not use the assistant (default false: not told, always recorded).');

const groupActivation = z
  .enum(['mention', 'always'])
  .describe('In group chats: answer only messages that mention the bot or reply to it ("mention", the default), or every message ("always").');

const TelegramAccount = strict({
  botToken: secret,
  allowedUsers: allowlist.optional(),
  notifyRejected: notifyRejected.optional(),
  groupActivation: groupActivation.optional(),
});

const TelegramChannel = strict({
  enabled: z.boolean().optional(),
  botToken: secret.optional(),
  allowedUsers: allowlist.optional(),
  accounts: z.record(token, TelegramAccount).optional(),
  notifyRejected: notifyRejected.optional(),
  apiRoot: httpUrl
    .optional()
    .describe('Bot API server to use instead of https://api.telegram.org: a local Bot API server or a proxy.'),
  groupActivation: groupActivation.optional(),
  webhook: strict({
    publicUrl: httpUrl.describe(
      'Where Telegram reaches this gateway from outside (a reverse proxy); each bot gets <publicUrl>/telegram/<account>/webhook.',
    ),
    secretToken: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16 to 256 characters of letters, digits, "_" and "-" (Telegram\'s rule, with a floor)')
      .describe('Telegram sends it in X-Telegram-Bot-Api-Secret-Token; requests without it are refused. Write "${ENV_VAR}".'),
  })
    .optional()
    .describe('Receive updates by webhook instead of long polling (the default, which needs no inbound port).'),
  pollTimeoutSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(0)
    .max(50, 'must be at most 50 (Telegram holds a long poll for at most 50 s)')
    .optional()
    .describe('How long one getUpdates long poll waits for messages (default 30).'),
});

const slackChannelRef = z
  .string()
  .regex(/^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{2,}|\*)$/, 'must be a channel id such as "C0123ABCD" or a name such as "#engineering"');

const SlackChannel = strict({
  enabled: z.boolean().optional(),
  botToken: secret.optional(),
  appToken: secret.optional(),
  signingSecret: secret.optional(),
  mode: z
    .enum(['socket', 'events'])
    .optional()
    .describe('"socket" (default): Socket Mode, no public ingress, needs appToken. "events": the Events API at POST /slack/events, needs signingSecret.'),
  apiUrl: httpUrl.optional().describe('Slack Web API base URL instead of https://slack.com/api/ (a proxy).'),
  allowedChannels: z.array(slackChannelRef).optional(),
  allowedUsers: allowlist.optional(),
  notifyRejected: notifyRejected.optional(),
});

const WebchatUser = strict({
  token: secret,
  name: z.string().optional(),
});

const WebchatChannel = strict({
  enabled: z.boolean().optional(),
  users: z.record(token, WebchatUser).optional(),
  allowedUsers: allowlist.optional(),
  notifyRejected: notifyRejected.optional(),
});

const Channels = strict({
  telegram: TelegramChannel.optional(),
  slack: SlackChannel.optional(),
  webchat: WebchatChannel.optional(),
});

const Permissions = strict({
  allow: z.array(z.string()).optional().describe('Rules such as "Read", "Bash(git *)". No matching allow rule means deny.'),
  deny: z.array(z.string()).optional().describe('Rules that win over every allow rule.'),
  inheritDeny: z
    .boolean()
    .optional()
    .describe('Named agents add the base agent\'s deny list to their own unless this is false (doctor flags it).'),
});

const memorySize = z
  .union([z.string(), z.number()], { error: 'must be a size such as "512m" or a number of bytes' })
  .describe('Bytes as a number, or a size such as "512m", "2g".');

const Mount = strict({
  host: absolutePath,
  container: absolutePath,
  readonly: z.boolean().optional(),
});

const DockerSandbox = strict({
  image: z.string().min(1, 'must not be empty'),
  setupCommand: z.string().optional(),
  network: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be "none" or a network name').optional(),
  readonlyRootfs: z.boolean().optional(),
  user: z.string().regex(/^[0-9]+(:[0-9]+)?$/, 'must be a numeric uid or uid:gid (the sandbox never runs as root)').optional(),
  resources: strict({
    memory: memorySize.optional(),
    cpus: z.union([z.number(), z.string()], { error: 'must be a number of CPUs such as 1.0' }).optional(),
    pids: z.number().int().optional(),
  }).optional(),
  mounts: z.array(Mount).optional(),
});

const Sandbox = strict({
  type: z.enum(['docker']).describe('Tool calls always run in a container; "docker" is any Docker-API engine (podman too).'),
  scope: z.enum(['session', 'agent', 'shared']).optional(),
  idleTimeoutSeconds: z.number().int().positive().optional(),
  timeoutSeconds: z.number().positive().optional(),
  docker: DockerSandbox.optional(),
});

const agentCommon = {
  permissions: Permissions.optional(),
  sandbox: Sandbox.optional(),
  provider: z.string().optional(),
  model: z.string().optional(),
  systemPrompt: z.string().optional(),
  maxIterations: z.number().int().positive().max(100).optional(),
};

export const BaseAgentSchema = strict(agentCommon);

const Binding = strict({
  channel: z.enum(['telegram', 'slack', 'webchat']),
  account: token.optional(),
  chat: z.string().min(1).optional(),
});

export const NamedAgentSchema = strict({
  ...agentCommon,
  allowedUsers: allowlist.optional().describe('Users who get this agent; they must also pass the channel allowlist.'),
  bindings: z.array(Binding).optional().describe('Where this agent answers: a channel, optionally one bot account or one chat.'),
});

const Agents = z
  .object({
    default: BaseAgentSchema.optional(),
    defaults: BaseAgentSchema.optional(),
  })
  .catchall(NamedAgentSchema)
  .describe('"default" / "defaults" is the base layer; every other key is a named agent.');

const Provider = strict({
  name: token,
  type: z.literal('openai-compatible'),
  baseUrl: httpUrl,
  apiKey: secret.optional(),
  models: z.array(z.string().min(1)).min(1, 'must list at least one model'),
});

const Logging = strict({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  auditLog: strict({
    enabled: z.boolean().optional(),
    path: absolutePath.optional(),
    includeMessages: z.boolean().optional(),
    includeTools: z.boolean().optional(),
    retentionDays: z.number().int().positive().optional(),
    rotateBytes: z.number().int().min(4096, 'must be at least 4096').optional().describe('Rotate the audit file once it reaches this size (default 64 MiB).'),
    digests: strict({
      keyFile: absolutePath.describe('Ed25519 private key (PEM) the projector signs digests with: openssl genpkey -algorithm ed25519'),
      everyEvents: z.number().int().positive().optional(),
      everySeconds: z.number().int().nonnegative().optional(),
    }).optional(),
  }).optional(),
});

const Session = strict({
  store: z
    .enum(['redis', 'eventstore'])
    .describe('Accepted for compatibility: session state is always projected from the PostgreSQL event store.'),
  redis: strict({
    url: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }),
    prefix: z.string().optional(),
  }).optional(),
});

const Gateway = strict({
  bind: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  auth: strict({
    token: secret,
  }).optional(),
});

export const ConfigSchema = strict({
  $schema: z.string().optional(),
  channels: Channels.optional(),
  agents: Agents.optional(),
  providers: z.array(Provider).optional(),
  defaultProvider: z.string().optional(),
  defaultModel: z.string().optional(),
  logging: Logging.optional(),
  session: Session.optional(),
  gateway: Gateway.optional(),
});

export type RawConfig = z.output<typeof ConfigSchema>;
export type RawNamedAgent = z.output<typeof NamedAgentSchema>;
export type RawBaseAgent = z.output<typeof BaseAgentSchema>;
export type RawSandbox = z.output<typeof Sandbox>;
