/**
 * Kate's authorization server: oidc-provider (client registry and authentication, dynamic client
 * registration with `claims_redirect_uris`, PATs via client_credentials, the token endpoint) with the
 * UMA grant registered as a custom grant type, plus the UMA routes beside it: discovery, the
 * protection API (resource registration, permission, introspection), revocation, claims interaction
 * and the owner's dashboard.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-federated-authz-2.0.html
 */
import type { IncomingMessage, Server } from 'node:http';
import Provider, { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { KeyValueStore } from '../store/kv';
import { oidcAdapterFactory, purgeLegacyOidcEntries } from '../store/oidc-adapter';
import { serverKeys } from '../store/keys';
import { closeServer, decodePathSegment, guarded, parseBasic, redirect, sendJson, HttpError } from '../http/util';
import { AS_RS_CLIENT, AS_TESSERA_CLIENT, IDP_AS_CLIENT, IDP_TESSERA_CLIENT, defaultPolicies } from '../seed';
import { UmaState, type Lifetimes, type ResourceDescription } from './state';
import { idTokenVerifier } from './id-token';
import { refreshRpt, UMA_GRANT, umaGrant, type DpopBinding, type GrantDeps } from './grant';
import { DPOP_ALGS, DpopProblem, DpopVerifier } from '../http/dpop';
import { introspection, permissionEndpoint, resourceRegistration, revocation, type ProtectionDeps } from './protection';
import { ClaimsInteraction } from './claims-interaction';
import { dashboard } from './dashboard';
import { isLoopbackHost } from '@tessera/uma';
import { EVENTS_PATH, type DemoEvents } from '../events';

export interface AsOptions {
  kv: KeyValueStore;
  server: Server;
  issuer: string;
  idpIssuer: string;
  log: (line: string) => void;
  lifetimes?: Partial<Lifetimes>;
  pollInterval?: number;
  /** Publishes the AS's side: policy decisions and the owner's approvals (src/demo/events.ts). */
  events?: DemoEvents;
  /** Puts Kate's records back as the demo seeds them (the dashboard's Reset button); none: no button. */
  resetRecords?: () => Promise<number>;
  /** Every DPoP proof at the token endpoint must carry this AS's nonce (RFC 9449 §8: `use_dpop_nonce`). */
  dpopNonce?: boolean;
}

export interface AsHandle { issuer: string; state: UmaState; close(): Promise<void> }

export const DEFAULT_LIFETIMES: Lifetimes = { ticket: 300, rpt: 900, refresh: 86400, pct: 30 * 86400 };

function validateClaimsRedirectUris(value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length === 0) throw new errors.InvalidClientMetadata('claims_redirect_uris must be a non-empty array of URIs');
  for (const uri of value) {
    let url: URL;
    try { url = new URL(String(uri)); } catch { throw new errors.InvalidClientMetadata(`claims_redirect_uris: "${String(uri)}" is not an absolute URI`); }
    if (url.hash) throw new errors.InvalidClientMetadata('claims_redirect_uris must not contain a fragment');
    const loopback = url.protocol === 'http:' && isLoopbackHost(url.hostname);
    if (url.protocol !== 'https:' && !loopback && !/^[a-z][\w+.-]*\.[\w+.-]+:$/.test(url.protocol)) {
      throw new errors.InvalidClientMetadata('claims_redirect_uris must be https, a loopback http URI (RFC 8252 §7.3) or a private-use scheme');
    }
  }
}

export async function startAs(options: AsOptions): Promise<AsHandle> {
  const { kv, server, issuer, idpIssuer, log } = options;
  const keys = await serverKeys(kv, 'as');
  await purgeLegacyOidcEntries(kv);
  const state = new UmaState(kv, { ...DEFAULT_LIFETIMES, ...options.lifetimes });

  const configuration: Configuration = {
    adapter: oidcAdapterFactory(kv),
    clients: [
      { client_id: AS_TESSERA_CLIENT.client_id, client_secret: AS_TESSERA_CLIENT.client_secret, client_name: 'Tessera',
        token_endpoint_auth_method: AS_TESSERA_CLIENT.token_endpoint_auth_method, grant_types: [UMA_GRANT, 'refresh_token'], response_types: [], redirect_uris: [],
        claims_redirect_uris: AS_TESSERA_CLIENT.claims_redirect_uris } as ClientMetadata,
      { client_id: AS_RS_CLIENT.client_id, client_secret: AS_RS_CLIENT.client_secret, client_name: "Kate's health records (RS)",
        grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'uma_protection', uma_resource_owner: AS_RS_CLIENT.owner } as ClientMetadata,
    ],
    jwks: keys.jwks as Configuration['jwks'],
    cookies: { keys: keys.cookieKeys },
    scopes: ['uma_protection'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      registration: { enabled: true },
      // RFC 7592: a dynamically registered client (e.g. by `tessera probe`) can delete itself again.
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
      // RPTs, refresh tokens and PCTs are the UMA layer's own tokens: see /uma/introspect and /uma/revoke.
      introspection: { enabled: false },
      revocation: { enabled: false },
    },
    extraClientMetadata: {
      properties: ['claims_redirect_uris', 'uma_resource_owner'],
      validator: (ctx, key, value) => {
        if (key === 'claims_redirect_uris') validateClaimsRedirectUris(value);
        // Only pre-registered resource servers speak for a resource owner.
        if (key === 'uma_resource_owner' && ctx !== undefined && value !== undefined) throw new errors.InvalidClientMetadata('uma_resource_owner cannot be registered dynamically');
      },
    },
    ttl: { ClientCredentials: 3600 },
    renderError: (ctx, out) => { ctx.type = 'json'; ctx.body = out; },
  };
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx: KoaContextWithOIDC, error: Error) => log(`as server_error: ${error.message}`));

  const verifyIdToken = idTokenVerifier(() => idpIssuer, [IDP_TESSERA_CLIENT.client_id, IDP_AS_CLIENT.client_id]);
  const grantDeps: GrantDeps = { state, verifyIdToken, idpIssuer: () => idpIssuer, asIssuer: issuer, pollInterval: options.pollInterval ?? 5, ...(options.events ? { events: options.events } : {}) };
  const clientOf = (ctx: KoaContextWithOIDC) => ({ id: ctx.oidc.client?.clientId ?? '', name: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? 'unknown client' });
  const dpop = new DpopVerifier({ requireNonce: options.dpopNonce === true });
  const tokenEndpoint = `${issuer}/token`;
  /**
   * The DPoP proof of a token request, checked before the grant runs (so a refused proof or a nonce
   * round trip does not use up the ticket or refresh token): no proof → no binding (bearer, as
   * before); a bad one → 400 `invalid_dpop_proof`; a missing or stale nonce → 400 `use_dpop_nonce`
   * with `DPoP-Nonce` (RFC 9449 §8). Undefined when the answer is already given.
   * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-5
   */
  const proofOf = async (ctx: KoaContextWithOIDC): Promise<{ binding?: DpopBinding } | undefined> => {
    const proofs = ctx.req.headersDistinct.dpop;
    if (!proofs) return {};
    try {
      const { jkt } = await dpop.verify({ proofs, method: ctx.method, url: tokenEndpoint });
      // The nonce to use next, with every answer (§8), so a client need not wait for a refusal.
      if (dpop.requireNonce) ctx.set('DPoP-Nonce', dpop.nonce());
      return { binding: { jkt } };
    } catch (error) {
      if (!(error instanceof DpopProblem)) throw error;
      ctx.status = 400;
      ctx.body = { error: error.error, error_description: error.message };
      if (error.nonce) ctx.set('DPoP-Nonce', error.nonce);
      return undefined;
    }
  };
  provider.registerGrantType(UMA_GRANT, async (ctx) => {
    const proof = await proofOf(ctx);
    if (!proof) return;
    const answer = await umaGrant(grantDeps, clientOf(ctx), ctx.oidc.params as Record<string, string | undefined>, proof.binding);
    ctx.status = answer.status;
    ctx.body = answer.body;
  }, ['ticket', 'claim_token', 'claim_token_format', 'pct', 'rpt', 'scope']);
  // RPT refresh (UMA Grant §3.6) replaces the provider's own refresh grant: no authorization-code flow runs here.
  provider.registerGrantType('refresh_token', async (ctx) => {
    const proof = await proofOf(ctx);
    if (!proof) return;
    const answer = await refreshRpt(grantDeps, clientOf(ctx), ctx.oidc.params as Record<string, string | undefined>, proof.binding);
    ctx.status = answer.status;
    ctx.body = answer.body;
  }, ['refresh_token', 'scope']);

  const findClient = async (id: string) => {
    if (!id) return undefined;
    const client = await provider.Client.find(id).catch(() => undefined);
    if (!client) return undefined;
    const uris = (client as unknown as { claims_redirect_uris?: string[] }).claims_redirect_uris ?? [];
    return { id: client.clientId, name: client.clientName ?? client.clientId, claimsRedirectUris: uris, client };
  };

  const protectionDeps: ProtectionDeps = {
    state, issuer,
    patOwner: async (token) => {
      const pat = await provider.ClientCredentials.find(token).catch(() => undefined);
      if (!pat || pat.isExpired || !(pat.scope ?? '').split(' ').includes('uma_protection')) return undefined;
      const client = pat.clientId ? await provider.Client.find(pat.clientId).catch(() => undefined) : undefined;
      const owner = (client as unknown as { uma_resource_owner?: string } | undefined)?.uma_resource_owner;
      return typeof owner === 'string' ? owner : undefined;
    },
    authenticateClient: async (req: IncomingMessage, form: Record<string, string>) => {
      const basic = parseBasic(req);
      const id = basic?.id ?? form.client_id;
      const secret = basic?.secret ?? form.client_secret;
      const found = id ? await findClient(id) : undefined;
      if (!found) return undefined;
      const method = found.client.clientAuthMethod;
      if (method === 'none') return basic ? undefined : found;
      if (!secret || !found.client.clientSecret || !(await found.client.compareClientSecret(secret))) return undefined;
      return found;
    },
    onResourceCreated: async (resource: ResourceDescription) => {
      const key = state.policyKey(resource);
      const seed = defaultPolicies(idpIssuer)[key];
      if (seed && !state.policy(resource.owner, key)) await state.savePolicy(resource.owner, key, seed);
    },
  };
  const interaction = new ClaimsInteraction({ kv, state, issuer, idpIssuer: () => idpIssuer, idpClient: IDP_AS_CLIENT, findClient, verifyIdToken });

  const discovery = {
    issuer,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/reg`,
    jwks_uri: `${issuer}/jwks`,
    grant_types_supported: [UMA_GRANT, 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'client_secret_jwt', 'none'],
    scopes_supported: ['uma_protection'],
    uma_profiles_supported: [],
    claims_interaction_endpoint: `${issuer}/uma/claims`,
    permission_endpoint: `${issuer}/uma/permission`,
    resource_registration_endpoint: `${issuer}/uma/resource_set`,
    introspection_endpoint: `${issuer}/uma/introspect`,
    introspection_endpoint_auth_methods_supported: ['bearer'],
    revocation_endpoint: `${issuer}/uma/revoke`,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    service_documentation: `${issuer}/dashboard`,
    // RFC 9449 §5.1: a proof with the UMA grant (or refresh) binds the RPT to its key.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
  };

  const oidc = provider.callback();
  server.on('request', guarded(async (req, res, url) => {
    const path = url.pathname;
    if (path === '/.well-known/uma2-configuration' || path === '/.well-known/oauth-authorization-server') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'invalid_request', 'use GET');
      return sendJson(res, 200, discovery, { 'Cache-Control': 'public, max-age=300' });
    }
    const rreg = /^\/uma\/resource_set(?:\/([^/]+))?\/?$/.exec(path);
    if (rreg) return resourceRegistration(protectionDeps, req, res, rreg[1] === undefined ? undefined : decodePathSegment(rreg[1]));
    if (path === '/uma/permission') return permissionEndpoint(protectionDeps, req, res);
    if (path === '/uma/introspect') return introspection(protectionDeps, req, res);
    if (path === '/uma/revoke') return revocation(protectionDeps, req, res);
    if (path === '/uma/claims' || path.startsWith('/uma/claims/')) return interaction.handle(req, res, url);
    if (path === EVENTS_PATH && options.events) return options.events.handle('as', req, res);
    if (path === '/dashboard' || path.startsWith('/dashboard/')) return dashboard({ kv, state, idpIssuer: () => idpIssuer, ...(options.events ? { events: options.events } : {}), ...(options.resetRecords ? { resetRecords: options.resetRecords } : {}) }, req, res, url);
    if (path === '/') return redirect(res, '/dashboard');
    await oidc(req, res);
  }, log, issuer));

  return { issuer, state, close: () => closeServer(server) };
}
