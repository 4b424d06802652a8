import { type ResolvedConfig } from './resolved-config.js';

/** One line for `config check`: what is configured, never a secret. */
export function summarizeConfig(config: ResolvedConfig): string {
  const channels = [...new Set(config.accounts.map((a) => a.channel))].map((channel) => {
    const accounts = config.accounts.filter((a) => a.channel === channel);
    const users = new Set(accounts.flatMap((a) => a.allowedUsers ?? []));
    const accountPart = accounts.length > 1 ? `${accounts.length} accounts, ` : '';
    return `${channel} (${accountPart}${users.size} allowed user${users.size === 1 ? '' : 's'})`;
  });
  const agents = [...(config.baseAgent ? [config.baseAgent] : []), ...config.agents].map((a) => a.id);
  const providers = config.providers.map((p) => `${p.name} (${p.models.length} model${p.models.length === 1 ? '' : 's'})`);
  const list = (items: string[]) => (items.length ? items.join(', ') : 'none');
  return `config OK: channels: ${list(channels)}; agents: ${list(agents)}; providers: ${list(providers)}`;
}
