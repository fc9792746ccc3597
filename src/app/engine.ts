/**
 * The one place where the engine is assembled, for every face: the Electron main process and the
 * browser-mode host (through {@link TesseraService}) and the CLI commands. It plugs the requesting
 * party's identities in as the claims source, the loopback claims interaction (system browser), the
 * registration redirect URI, trust, HTTP bounds and the vault, and resolves who a call acts for.
 */
import type { TokenStore, StepListener, HttpBounds, ClaimsSource, Opener } from '@tessera/uma';
import type { Transcript } from '@tessera/uma/engine';
import { findTrustedAs, type TrustPolicy, type DefaultClient, CLAIMS_REDIRECT_URI, loopbackInteraction, IdentityClaimsSource, Identities } from '@tessera/uma';
import { createAgent, type Agent } from '@tessera/uma/engine';

export interface EngineOptions {
  store: TokenStore;
  /** Trusted ASes; a function is re-read on every use (the app edits trust live). */
  trust: TrustPolicy | (() => TrustPolicy);
  /** Opens the system browser for claims interaction; without it, interaction is off. */
  opener?: Opener;
  interactionTimeoutMs?: number;
  /** Replaces the identities as claims source (the CLI's `--claim-token FILE`). */
  claims?: ClaimsSource;
  defaultClient?: DefaultClient;
  http?: Partial<HttpBounds>;
  onStep?: StepListener;
  transcript?: Transcript;
}

export interface Engine {
  agent: Agent;
  identities: Identities;
  /** Whether `issuer` (or an alias of it) is trusted — the one trust rule, aliases included. */
  trusted(issuer: string): boolean;
  trust(): TrustPolicy;
}

export function composeEngine(o: EngineOptions): Engine {
  const trust = (): TrustPolicy => (typeof o.trust === 'function' ? o.trust() : o.trust);
  const identities = new Identities(o.store);
  // The claims source refreshes sign-ins through the agent's HTTP client, so a refresh is a step of the fetch's flow.
  const agent: Agent = createAgent({
    store: o.store,
    trust,
    claims: o.claims ?? new IdentityClaimsSource(o.store, { http: () => agent.http }),
    ...(o.opener ? { interaction: loopbackInteraction({ open: o.opener, ...(o.interactionTimeoutMs ? { timeoutMs: o.interactionTimeoutMs } : {}) }) } : {}),
    claimsRedirectUris: [CLAIMS_REDIRECT_URI],
    ...(o.defaultClient ? { defaultClient: o.defaultClient } : {}),
    ...(o.http ? { http: o.http } : {}),
    ...(o.onStep ? { onStep: o.onStep } : {}),
    ...(o.transcript ? { transcript: o.transcript } : {}),
  });
  return { agent, identities, trust, trusted: (issuer) => findTrustedAs(trust(), issuer) !== undefined };
}
