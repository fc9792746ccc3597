/**
 * The command registry: one line per command. Add a command by adding its line here and a module
 * in src/cli/commands/ that default-exports a {@link CliCommand}.
 */
import type { CliCommand } from './command';

export const commands: Record<string, () => Promise<{ default: CliCommand }>> = {
  fetch: () => import('./commands/fetch'),
  probe: () => import('./commands/probe'),
  login: () => import('./commands/login'),
  logout: () => import('./commands/logout'),
  whoami: () => import('./commands/whoami'),
  vault: () => import('./commands/vault'),
  trust: () => import('./commands/trust'),
};
