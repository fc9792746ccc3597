/**
 * The one place where the engine is assembled, for every face: the Electron main process and the
 * browser-mode host (through {@link TesseraService}) and the CLI commands. It plugs the requesting
 * party's identities in as the claims source, the loopback claims interaction (system browser), the
 * registration redirect URI, trust, HTTP bounds and the vault, and resolves who a call acts for.
 */
import type { TokenStore, ClaimsSource, Opener } from '@tessera/uma';
import { Transcript, createAgent, type Agent, ClientResolver } from '@tessera/uma/engine';
import { type StepListener, findTrustedAs, type TrustPolicy, HttpClient, type HttpBounds, type DefaultClient, CLAIMS_REDIRECT_URI, loopbackInteraction, IdentityClaimsSource, Identities } from '@tessera/uma';

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
  /** `false`: no well-known RS metadata lookup (RFC 9728 §3); the agent's default (on) otherwise. */
  wellKnownResourceMetadata?: boolean;
}

export interface Engine {
  agent: Agent;
  /** The one outbound HTTP client of this engine (bounded, redacting, on the transcript): sign-in and sign-out at OpenID providers use it too. */
  http: HttpClient;
  identities: Identities;
  /**
   * Which client Tessera is at an AS, by the engine's rule (stored registration, default client,
   * configured id), with the same options as the agent's: what the probe and "Check this AS" use.
   */
  clients: ClientResolver;
  /** Whether `issuer` (or an alias of it) is trusted — the one trust rule, aliases included. */
  trusted(issuer: string): boolean;
  trust(): TrustPolicy;
}

export function composeEngine(o: EngineOptions): Engine {
  const trust = (): TrustPolicy => (typeof o.trust === 'function' ? o.trust() : o.trust);
  const identities = new Identities(o.store);
  const transcript = o.transcript ?? new Transcript();
  const http = new HttpClient({ transcript, ...(o.http ? { bounds: o.http } : {}) });
  // The claims source refreshes sign-ins through the agent's HTTP client, so a refresh is a step of the fetch's flow.
  const agent: Agent = createAgent({
    store: o.store,
    trust,
    httpClient: http,
    claims: o.claims ?? new IdentityClaimsSource(o.store, { http: () => http }),
    ...(o.opener ? { interaction: loopbackInteraction({ open: o.opener, ...(o.interactionTimeoutMs ? { timeoutMs: o.interactionTimeoutMs } : {}) }) } : {}),
    claimsRedirectUris: [CLAIMS_REDIRECT_URI],
    ...(o.defaultClient ? { defaultClient: o.defaultClient } : {}),
    ...(o.onStep ? { onStep: o.onStep } : {}),
    ...(o.wellKnownResourceMetadata === false ? { wellKnownResourceMetadata: false } : {}),
  });
  const clients = new ClientResolver({ store: o.store, claimsRedirectUris: [CLAIMS_REDIRECT_URI], ...(o.defaultClient ? { defaultClient: o.defaultClient } : {}) });
  return { agent, http, identities, clients, trust, trusted: (issuer) => findTrustedAs(trust(), issuer) !== undefined };
}
