import { BlockList, isIP } from 'node:net';
import { parseToolCallText } from '#contracts';
import { allAgents, sensitiveMountReason, type ResolvedConfig } from '#config';
import { type PolicyEngine } from '#policy';

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL';

export interface CheckResult {
  id: string;
  /** The article's checklist item this answers. */
  title: string;
  status: CheckStatus;
  /** What was found; never a secret's value. */
  findings: string[];
  /** What to change, for WARN and FAIL. */
  fix: string | undefined;
}

/** What `doctor` learnt outside the config: the addresses provider host names resolve to. */
export interface DoctorFacts {
  /** Host name → its addresses, or the error that stopped the lookup. */
  resolved: ReadonlyMap<string, { addresses: string[] } | { error: string }>;
}

export const AUDIT_RETENTION_DAYS = 90;
export const MIN_TOKEN_LENGTH = 32;
/** Shannon entropy per character below which a token looks typed rather than generated (hex is ~3.7–4). */
const MIN_TOKEN_BITS_PER_CHAR = 3;

const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8);
PRIVATE.addSubnet('172.16.0.0', 12);
PRIVATE.addSubnet('192.168.0.0', 16);
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT, also Tailscale's addresses
PRIVATE.addSubnet('169.254.0.0', 16);
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8);
LOOPBACK.addAddress('::1', 'ipv6');

export type AddressClass = 'loopback' | 'private' | 'public' | 'any';

export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '');
  if (bare === '0.0.0.0' || bare === '::') return 'any';
  const family = isIP(bare) === 6 ? 'ipv6' : 'ipv4';
  const mapped = family === 'ipv6' && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(bare) ? bare.slice(7) : undefined;
  if (mapped) return classifyAddress(mapped);
  if (LOOPBACK.check(bare, family)) return 'loopback';
  if (PRIVATE.check(bare, family)) return 'private';
  return 'public';
}

/** Host names of the providers' base URLs that are not IP literals: `doctor` resolves them before checking. */
export function providerHostNames(config: ResolvedConfig): string[] {
  return [...new Set(config.providers.map((p) => hostOf(p.baseUrl)).filter((host): host is string => host !== undefined && isIP(host) === 0))];
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

function result(id: string, title: string, status: CheckStatus, findings: string[], fix?: string): CheckResult {
  return { id, title, status, findings, fix: status === 'PASS' ? undefined : fix };
}

function worst(statuses: CheckStatus[]): CheckStatus {
  return statuses.includes('FAIL') ? 'FAIL' : statuses.includes('WARN') ? 'WARN' : 'PASS';
}

export function checkProviders(config: ResolvedConfig, facts: DoctorFacts): CheckResult {
  const title = 'conversations stay inside: every model endpoint is on a loopback or private address';
  if (config.providers.length === 0) return result('providers-private', title, 'WARN', ['no provider is configured'], 'add a provider whose baseUrl is your intranet model server');
  const statuses: CheckStatus[] = [];
  const findings = config.providers.map((provider) => {
    const host = hostOf(provider.baseUrl);
    if (host === undefined) {
      statuses.push('FAIL');
      return `${provider.name}: baseUrl is not a URL`;
    }
    const lookup = isIP(host) ? { addresses: [host] } : facts.resolved.get(host);
    if (!lookup || 'error' in lookup) {
      statuses.push('WARN');
      return `${provider.name}: ${host} does not resolve here (${lookup && 'error' in lookup ? lookup.error : 'not looked up'}); run doctor where the agent runs`;
    }
    const classes = lookup.addresses.map((address) => `${address} (${classifyAddress(address)})`);
    const isPublic = lookup.addresses.some((address) => ['public', 'any'].includes(classifyAddress(address)));
    statuses.push(isPublic ? 'FAIL' : 'PASS');
    return `${provider.name}: ${host} → ${classes.join(', ')}`;
  });
  return result(
    'providers-private',
    title,
    worst(statuses),
    findings,
    'point providers[].baseUrl at a model server inside the network (e.g. an intranet Ollama, http://10.x.x.x:11434/v1); a public endpoint sends every conversation outside',
  );
}

export function checkAuditLog(config: ResolvedConfig): CheckResult {
  const title = `the audit log is on and kept ${AUDIT_RETENTION_DAYS} days`;
  const audit = config.logging.auditLog;
  if (!audit.enabled) {
    return result('audit-log', title, 'FAIL', ['logging.auditLog.enabled is false'], `set logging.auditLog.enabled: true and logging.auditLog.retentionDays: ${AUDIT_RETENTION_DAYS}`);
  }
  if (audit.retentionDays === undefined) {
    return result(
      'audit-log',
      title,
      'WARN',
      ['enabled; logging.auditLog.retentionDays is not set (events are kept until someone removes them explicitly)'],
      `state the policy: logging.auditLog.retentionDays: ${AUDIT_RETENTION_DAYS} (or more)`,
    );
  }
  if (audit.retentionDays < AUDIT_RETENTION_DAYS) {
    return result('audit-log', title, 'FAIL', [`retentionDays is ${audit.retentionDays}`], `set logging.auditLog.retentionDays to at least ${AUDIT_RETENTION_DAYS}`);
  }
  const hidden = [!audit.includeMessages && 'message text', !audit.includeTools && 'tool input/output'].filter(Boolean);
  const findings = [`enabled, retention ${audit.retentionDays} days`];
  if (hidden.length > 0) findings.push(`${hidden.join(' and ')} left out of the audit outputs (lengths and hashes only)`);
  return result('audit-log', title, 'PASS', findings);
}

export function checkSandbox(config: ResolvedConfig): CheckResult {
  const title = 'tools run in a sandbox without network and without sensitive host directories';
  const statuses: CheckStatus[] = [];
  const findings: string[] = [];
  for (const agent of allAgents(config)) {
    const sandbox = agent.sandbox;
    if (!sandbox) {
      statuses.push('FAIL');
      findings.push(`agent ${agent.id}: no sandbox`);
      continue;
    }
    const problems: string[] = [];
    if (sandbox.network !== 'none') problems.push(`network "${sandbox.network}"`);
    for (const mount of sandbox.mounts) {
      const reason = sensitiveMountReason(mount.host);
      if (reason) problems.push(`mount ${mount.host}: ${reason}`);
    }
    statuses.push(problems.length > 0 ? 'FAIL' : 'PASS');
    const mounts = sandbox.mounts.map((m) => `${m.host}→${m.container}${m.readonly ? ' (ro)' : ''}`).join(', ') || 'no mounts';
    findings.push(`agent ${agent.id}: ${problems.length > 0 ? problems.join('; ') : `network none, ${mounts}`}`);
  }
  if (findings.length === 0) {
    statuses.push('FAIL');
    findings.push('no agent is configured');
  }
  return result(
    'sandbox',
    title,
    worst(statuses),
    findings,
    'give agents.defaults.sandbox a docker block with network: "none" and mount only the project directories the assistant needs',
  );
}

export function checkAllowlists(config: ResolvedConfig): CheckResult {
  const title = 'every channel admits only the people (and channels) on its allowlist';
  const statuses: CheckStatus[] = [];
  const findings: string[] = [];
  for (const account of config.accounts) {
    const name = `${account.channel}${account.account === 'default' ? '' : `/${account.account}`}`;
    const lists = [['allowedUsers', account.allowedUsers], ...(account.channel === 'slack' ? [['allowedChannels', account.allowedChats] as const] : [])] as const;
    for (const [label, list] of lists) {
      if (list?.includes('*')) {
        statuses.push('FAIL');
        findings.push(`${name}: ${label} is "*": everyone is admitted`);
      } else if (!list || list.length === 0) {
        statuses.push(label === 'allowedUsers' ? 'WARN' : 'PASS');
        if (label === 'allowedUsers') findings.push(`${name}: no ${label}: nobody is admitted`);
      } else {
        statuses.push('PASS');
        findings.push(`${name}: ${label} has ${list.length} ${list.length === 1 ? 'entry' : 'entries'}`);
        const names = label === 'allowedChannels' ? list.filter((entry) => entry.startsWith('#')) : [];
        if (names.length > 0) {
          // A channel can be renamed, and its old name taken by another: an id names the same channel forever.
          statuses.push('WARN');
          findings.push(`${name}: allowedChannels names ${names.join(', ')} by name; prefer channel ids (C…), which a rename cannot move`);
        }
      }
    }
  }
  if (config.accounts.length === 0) findings.push('no channel is configured');
  return result('allowlists', title, worst(statuses), findings, 'list the user ids (and, for Slack, channel ids such as C0123ABCD rather than #names) allowed on each channel; never "*"');
}

/** The article: the deny list covers `rm -rf` and `sudo`. Judged by the real policy engine on each agent's effective rules. */
export function checkDenyList(config: ResolvedConfig, engine: PolicyEngine): CheckResult {
  const title = 'least privilege: every agent denies rm -rf and sudo';
  const probes = ['Bash(rm -rf /workspace)', 'Bash(sudo ls)'];
  const statuses: CheckStatus[] = [];
  const findings: string[] = [];
  for (const agent of allAgents(config)) {
    const missing: string[] = [];
    for (const probe of probes) {
      const parsed = parseToolCallText(probe);
      if (!parsed.ok) throw new Error(`doctor's own probe ${probe} does not parse: ${parsed.error}`);
      const decision = engine.decide(agent.permissions, parsed.call);
      const byDenyRule = decision.decision === 'deny' && decision.rule !== null && agent.permissions.deny.some((rule) => rule.text === decision.rule);
      if (!byDenyRule) missing.push(`${probe} is ${decision.decision === 'allow' ? `allowed (rule ${decision.rule ?? 'none'})` : 'denied only because nothing allows it'}`);
    }
    if (!agent.inheritDeny) missing.push('inheritDeny: false drops the base deny list');
    statuses.push(missing.length === 0 ? 'PASS' : 'FAIL');
    findings.push(`agent ${agent.id}: ${missing.length === 0 ? `denied by ${agent.permissions.deny.map((r) => r.text).join(', ')}` : missing.join('; ')}`);
  }
  return result('deny-list', title, worst(statuses), findings, 'add "Bash(rm *)" and "Bash(sudo *)" to agents.default.permissions.deny (named agents inherit it; do not set inheritDeny: false)');
}

/** Rules that let an agent change anything: what makes it an administrator's. */
const BROAD_TOOLS = new Set(['Bash', 'Write', 'Edit']);

export function checkAdminTrail(config: ResolvedConfig): CheckResult {
  const title = 'administrators leave an extra trail';
  const admins = allAgents(config).filter((agent) =>
    agent.permissions.allow.some((rule) => (BROAD_TOOLS.has(rule.tool) && rule.specifier === null) || rule.text === 'Bash(*)'),
  );
  const names = admins.map((agent) => agent.id).join(', ') || 'none';
  const findings = [
    `agents with broad rights: ${names}; every message, model call and tool call of every agent is an event in the append-only store, and audit export, replay, verify and changes of the audit settings append AdminActionPerformed with the database login`,
  ];
  if (!config.logging.auditLog.includeTools && admins.length > 0) {
    findings.push('logging.auditLog.includeTools is false: their commands appear in the audit outputs only as lengths and hashes');
    return result('admin-trail', title, 'WARN', findings, 'set logging.auditLog.includeTools: true so that what administrators ran can be read in the audit log');
  }
  return result('admin-trail', title, 'PASS', findings);
}

export function checkGatewayBind(config: ResolvedConfig): CheckResult {
  const title = 'the gateway is not exposed to the internet; remote access goes through a VPN or an HTTPS proxy';
  const bind = config.gateway.bind;
  const host = bind === 'localhost' ? '127.0.0.1' : bind;
  const kind = isIP(host.replace(/^\[|\]$/g, '')) ? classifyAddress(host) : 'public';
  const where = `gateway.bind is ${bind}:${config.gateway.port}`;
  switch (kind) {
    case 'loopback':
      return result('gateway-bind', title, 'PASS', [`${where} (loopback: only this machine, or a proxy on it, reaches it)`]);
    case 'private':
      return result('gateway-bind', title, 'WARN', [`${where} (a private address, reachable from the network without TLS)`], 'bind to 127.0.0.1 and put an HTTPS reverse proxy (nginx with TLS) or a VPN such as Tailscale in front');
    case 'any':
      return result('gateway-bind', title, 'FAIL', [`${where}: every interface, public ones included`], 'bind to 127.0.0.1 (or a private address) and publish it only through an HTTPS proxy or a VPN');
    case 'public':
      return result('gateway-bind', title, 'FAIL', [`${where}: a public address`], 'bind to 127.0.0.1 and publish it only through an HTTPS proxy or a VPN');
  }
}

/** Bits of Shannon entropy per character of `text`. */
export function entropyPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...text].length;
  return [...counts.values()].reduce((bits, count) => bits - (count / length) * Math.log2(count / length), 0);
}

export function checkGatewayToken(config: ResolvedConfig): CheckResult {
  const title = `the gateway token is strong (at least ${MIN_TOKEN_LENGTH} random characters) and comes from the environment`;
  const token = config.gateway.authToken;
  const fix = 'generate one (openssl rand -hex 32), keep it in the environment and write gateway.auth.token: "${CLAWGATE_GATEWAY_TOKEN}"';
  if (!token) return result('gateway-token', title, 'FAIL', ['gateway.auth.token is not set'], fix);
  const problems: string[] = [];
  if (!config.fromEnvironment.has('gateway.auth.token')) problems.push('it is written in the config file');
  if (token.length < MIN_TOKEN_LENGTH) problems.push(`it has ${token.length} characters`);
  else if (entropyPerChar(token) < MIN_TOKEN_BITS_PER_CHAR) problems.push('it does not look random (too few distinct characters)');
  if (problems.length > 0) return result('gateway-token', title, 'FAIL', problems, fix);
  return result('gateway-token', title, 'PASS', [`from the environment, ${token.length} characters`]);
}

const SECRET_KEY = /(token|secret|password|apikey)$/i;

/** Secrets other than the gateway's written in the file instead of `${VAR}`. */
export function checkSecretsInFile(config: ResolvedConfig): CheckResult {
  const title = 'secrets come from the environment, not the config file';
  const written: string[] = [];
  const visit = (node: unknown, path: string) => {
    if (typeof node === 'string') {
      const key = path.split(/[.[]/).at(-1) ?? '';
      if (SECRET_KEY.test(key.replace(/[\]"]/g, '')) && !config.fromEnvironment.has(path) && path !== 'gateway.auth.token') written.push(path);
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, `${path}[${index}]`));
    } else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) visit(child, path ? `${path}.${key}` : key);
    }
  };
  visit(config.raw, '');
  if (written.length === 0) return result('secrets-in-file', title, 'PASS', ['every token and key is a ${VAR} reference (or absent)']);
  return result('secrets-in-file', title, 'WARN', written.map((path) => `${path} is written in the file`), 'write each as "${SOME_VAR}" and set the variable in the service\'s environment');
}

/** Commands that fetch from the network: with `network: "none"` a setup command using them cannot succeed. */
const NEEDS_NETWORK = /\b(apt-get|apt|apk|yum|dnf|pip3?|npm|yarn|pnpm|curl|wget|git\s+(clone|fetch|pull))\b/;

export function checkContradictions(config: ResolvedConfig): CheckResult {
  const title = 'no setting contradicts another';
  const findings: string[] = [];
  for (const agent of allAgents(config)) {
    const sandbox = agent.sandbox;
    if (!sandbox?.setupCommand) continue;
    const tool = NEEDS_NETWORK.exec(sandbox.setupCommand)?.[0];
    if (tool && sandbox.network === 'none') findings.push(`agent ${agent.id}: setupCommand uses ${tool}, which needs the network, but network is "none"`);
    if (tool && /^(apt-get|apt|apk|yum|dnf)$/.test(tool) && sandbox.readonlyRootfs) findings.push(`agent ${agent.id}: setupCommand installs packages but readonlyRootfs is true`);
  }
  if (findings.length === 0) return result('contradictions', title, 'PASS', ['none found']);
  return result(
    'contradictions',
    title,
    'FAIL',
    findings,
    'bake what setupCommand installs into the image (clawgate sandbox build-image, or a Dockerfile) and drop setupCommand; keep network "none"',
  );
}

/** Every check, in the order of the article's checklist. */
export function runDoctorChecks(config: ResolvedConfig, engine: PolicyEngine, facts: DoctorFacts): CheckResult[] {
  return [
    checkProviders(config, facts),
    checkAuditLog(config),
    checkSandbox(config),
    checkAllowlists(config),
    checkDenyList(config, engine),
    checkAdminTrail(config),
    checkGatewayBind(config),
    checkGatewayToken(config),
    checkSecretsInFile(config),
    checkContradictions(config),
  ];
}
