/**
 * What the signed-in requesting party contributes to `tessera fetch`: a claims source (held ID
 * tokens), the claims-interaction runner (system browser + loopback redirect, honouring BROWSER),
 * the Keycloak bearer token and the identity label. The identity helper (src/identity,
 * src/uma/interaction) implements this; until then the CLI runs without them and prints
 * interaction URLs. Explicit flags (`--claim-token`) win over what this returns.
 */
import type { TokenStore } from '../core/store';
import type { AgentOptions } from '../uma/agent';
import type { CliIo } from './command';

export type SessionOptions = Pick<AgentOptions, 'claims' | 'interaction' | 'bearerToken' | 'identity' | 'claimsRedirectUris'>;

export async function sessionOptions(_io: CliIo, _store: TokenStore, _request: { identity?: string; interaction: boolean }): Promise<SessionOptions> {
  return {};
}
