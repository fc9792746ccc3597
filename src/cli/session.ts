/**
 * What the signed-in requesting party contributes to `tessera fetch`: the held identities as a
 * claims source, the claims-interaction runner (system browser honouring BROWSER + loopback
 * redirect), and the claims redirect URI to register. Explicit flags (`--claim-token`) win over it.
 */
import type { TokenStore } from '../kernel/store';
import type { AgentOptions } from '../uma/agent';
import { CLAIMS_REDIRECT_URI, loopbackInteraction } from '../uma/interaction';
import { IdentityClaimsSource } from '../identity/claims-source';
import { systemOpener, type Opener } from '../identity/opener';
import type { CliIo } from './command';

export type SessionOptions = Pick<AgentOptions, 'claims' | 'interaction' | 'bearerToken' | 'identity' | 'claimsRedirectUris'>;

/** Tests replace the system browser with their own (e.g. a Chromium page). */
let openerOverride: Opener | undefined;
export function setCliOpener(opener: Opener | undefined): void { openerOverride = opener; }

export function cliOpener(io: CliIo): Opener {
  return openerOverride ?? systemOpener({ env: io.env, print: (line) => io.stderr(`tessera: ${line}\n`) });
}

export async function sessionOptions(io: CliIo, store: TokenStore, request: { identity?: string; interaction: boolean }): Promise<SessionOptions> {
  const timeout = Number(io.env.TESSERA_INTERACTION_TIMEOUT ?? '');
  return {
    claims: new IdentityClaimsSource(store),
    ...(request.interaction ? { interaction: loopbackInteraction({ open: cliOpener(io), ...(timeout > 0 ? { timeoutMs: timeout * 1000 } : {}) }) } : {}),
    claimsRedirectUris: [CLAIMS_REDIRECT_URI],
    ...(request.identity ? { identity: request.identity } : {}),
  };
}
