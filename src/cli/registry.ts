/**
 * The command registry: one line per command. Add a command by adding its line here and a module
 * in src/cli/commands/ that default-exports a {@link CliCommand}.
 *
 * Each line carries the command's one-line summary so that `tessera --help` loads no command module
 * (and none of their dependencies): the CLI starts in about the time Node does
 * (test/unit/cli-registry.test.ts keeps each summary equal to its module's).
 */
import type { CliCommand } from './command';

export interface RegisteredCommand {
  summary: string;
  load: () => Promise<{ default: CliCommand }>;
}

export const commands: Record<string, RegisteredCommand> = {
  fetch: { summary: 'fetch a UMA-protected resource (401 → token → retry)', load: () => import('./commands/fetch') },
  probe: { summary: 'report how an authorization server behaves towards a UMA client', load: () => import('./commands/probe') },
  login: { summary: 'sign in at your OpenID provider (system browser, PKCE) to push ID-token claims', load: () => import('./commands/login') },
  logout: { summary: 'sign out: revoke at the provider where it can, then forget the identity', load: () => import('./commands/logout') },
  whoami: { summary: 'list the identities you are signed in with', load: () => import('./commands/whoami') },
  vault: { summary: 'list, forget, export (redacted) or re-key the encrypted token vault', load: () => import('./commands/vault') },
  trust: { summary: 'trust an authorization server (add, list, remove) in config.json', load: () => import('./commands/trust') },
};
