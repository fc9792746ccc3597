/**
 * The claims-interaction endpoint (UMA Grant §3.3.2–3.3.3): the requesting party's browser arrives
 * with `client_id`, `ticket`, `claims_redirect_uri` and `state`; the AS signs them in at Hospital ID
 * (the AS is an OpenID Connect relying party there: code flow + PKCE, via oauth4webapi), asks them to
 * accept the lab's terms where Kate's policy says so, then redirects back with a new ticket.
 * The presented ticket is consumed on arrival (§5.5); a bad client or redirect URI is shown to the
 * person and never redirected to (§3.3.2).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { html, HttpError, page, parseCookies, readForm, redirect, sendHtml, type RawHtml } from '../http/util';
import type { KeyValueStore } from '../store/kv';
import { LAB_TERMS } from '../seed';
import type { RqpClaims } from './policy';
import { hash, type Permission, type UmaState } from './state';

const BRAND = "Kate's authorization server";
const SESSION_TTL = 15 * 60;

export interface ClientInfo { id: string; name: string; claimsRedirectUris: string[] }

export interface InteractionDeps {
  kv: KeyValueStore;
  state: UmaState;
  issuer: string;
  idpIssuer: () => string;
  idpClient: { client_id: string; client_secret: string };
  findClient: (id: string) => Promise<ClientInfo | undefined>;
  verifyIdToken: (token: string) => Promise<RqpClaims>;
}

interface ClaimsSession {
  id: string;
  clientId: string;
  clientName: string;
  redirectUri: string;
  state?: string;
  owner: string;
  permissions: Permission[];
  claims?: RqpClaims;
  requestId?: string;
  oidc?: { state: string; nonce: string; verifier: string };
  notice?: string;
}

/**
 * A claims redirect URI matches a registered one exactly, or — for a loopback URI registered
 * without a port — on any port (RFC 8252 §7.3: native clients pick an ephemeral port).
 */
export function claimsRedirectAllowed(value: string, registered: string[]): boolean {
  if (registered.includes(value)) return true;
  let url: URL;
  try { url = new URL(value); } catch { return false; }
  if (url.protocol !== 'http:' || !['127.0.0.1', '[::1]'].includes(url.hostname) || url.hash) return false;
  return registered.some((r) => {
    try {
      const reg = new URL(r);
      return reg.protocol === 'http:' && reg.hostname === url.hostname && reg.port === '' && reg.pathname === url.pathname && reg.search === url.search;
    } catch { return false; }
  });
}

function withParams(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

// The session id is the browser's cookie value and the OpenID state a one-time secret: both are
// stored only as SHA-256, like every token the AS keeps.
const sessionKey = (id: string) => `claims-session:${hash(id)}`;
/** Which session a ticket opened (by hashes only), so the same browser can come back with the same address. */
const arrivalKey = (ticket: string) => `claims-arrival:${hash(ticket)}`;
const oidcStateKey = (state: string) => `claims-oidc:${hash(state)}`;
// Named after the id's hash, so neither the name nor anything stored reveals part of the id.
const cookieNameForHash = (idHash: string) => `ucs-${idHash.slice(0, 16)}`;
const cookieName = (id: string) => cookieNameForHash(hash(id));

export class ClaimsInteraction {
  #as: oauth.AuthorizationServer | undefined;
  constructor(private readonly deps: InteractionDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/uma/claims' && req.method === 'GET') return this.#arrive(req, res, url);
    if (path === '/uma/claims/oidc-callback' && req.method === 'GET') return this.#oidcCallback(req, res, url);
    const match = /^\/uma\/claims\/s\/([\w-]{20,64})(?:\/(signin|continue|cancel))?$/.exec(path);
    if (!match?.[1]) throw new HttpError(404, 'not_found', 'no such page');
    const session = this.#session(req, match[1]);
    if (!session) return this.#problem(res, 400, 'This page has expired', 'Go back to the application and try again.');
    const action = match[2];
    if (!action && req.method === 'GET') return this.#show(res, session);
    if (req.method !== 'POST' || !action) throw new HttpError(405, 'invalid_request', 'method not allowed');
    const form = await readForm(req);
    if (action === 'signin') return this.#signIn(res, session);
    if (action === 'cancel') return this.#finish(res, session, { error: 'access_denied', error_description: 'The requesting party cancelled.' });
    // continue
    if (!session.claims) return this.#show(res, { ...session, notice: 'Sign in with Hospital ID first.' });
    if (this.#termsNeeded(session)) {
      if (form.accept_terms !== 'yes') return this.#show(res, { ...session, notice: "Tick the box to accept the lab's terms, or cancel." });
      session.claims = { ...session.claims, terms_accepted_at: Math.floor(Date.now() / 1000) };
    }
    const ticket = await this.deps.state.issueTicket({ owner: session.owner, permissions: session.permissions, clientId: session.clientId, claims: session.claims, ...(session.requestId ? { requestId: session.requestId } : {}) });
    await this.deps.state.log({ owner: session.owner, who: session.claims.email ?? session.claims.sub, client: session.clientName, resources: this.#names(session), scopes: [], outcome: 'need_info', detail: `claims gathered interactively${session.claims.terms_accepted_at ? "; lab's terms accepted" : ''}` });
    return this.#finish(res, session, { ticket });
  }

  async #arrive(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const q = url.searchParams;
    for (const name of ['client_id', 'ticket', 'claims_redirect_uri', 'state']) {
      if (q.getAll(name).length > 1) return this.#problem(res, 400, 'Invalid request', `The parameter ${name} is repeated.`);
    }
    const client = await this.deps.findClient(q.get('client_id') ?? '');
    if (!client) return this.#problem(res, 400, 'Unknown application', 'The application that sent you here is not registered at this authorization server, so you cannot be sent back to it.');
    let redirectUri = q.get('claims_redirect_uri') ?? undefined;
    if (redirectUri === undefined && client.claimsRedirectUris.length === 1 && !client.claimsRedirectUris[0]?.startsWith('http://127.0.0.1/')) redirectUri = client.claimsRedirectUris[0];
    if (!redirectUri || !claimsRedirectAllowed(redirectUri, client.claimsRedirectUris)) {
      return this.#problem(res, 400, 'Invalid return address', `The claims_redirect_uri is missing or not registered for ${client.name}, so you cannot be sent back to it.`);
    }
    const state = q.get('state') ?? undefined;
    const ticketValue = q.get('ticket');
    const back = (error: string, description: string) => redirect(res, withParams(redirectUri, { error, error_description: description, state }));
    if (!ticketValue) return back('invalid_request', 'ticket is required');
    const ticket = await this.deps.state.consumeTicket(ticketValue);
    if (!ticket) {
      // The same browser opening the same address again (the client's "open the page again"):
      // continue its session. Anyone else gets the used ticket refused.
      const again = this.#rejoin(req, ticketValue, client.id, redirectUri, state);
      if (again) return redirect(res, `/uma/claims/s/${again}`);
    }
    if (!ticket || (ticket.clientId !== undefined && ticket.clientId !== client.id)) return back('invalid_request', 'the ticket is unknown, expired or already used');
    const session: ClaimsSession = {
      id: randomBytes(24).toString('base64url'), clientId: client.id, clientName: client.name, redirectUri, ...(state !== undefined ? { state } : {}),
      owner: ticket.owner, permissions: ticket.permissions, ...(ticket.claims ? { claims: ticket.claims } : {}), ...(ticket.requestId ? { requestId: ticket.requestId } : {}),
    };
    await this.#save(session);
    await this.deps.kv.put(arrivalKey(ticketValue), { idHash: hash(session.id), clientId: client.id, redirectUri, state: state ?? null }, SESSION_TTL);
    redirect(res, `/uma/claims/s/${session.id}`, { 'Set-Cookie': `${cookieName(session.id)}=${session.id}; Path=/uma/claims; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL}` });
  }

  /** The live session this browser started with `ticket` (its cookie holds the id), for the same request. */
  #rejoin(req: IncomingMessage, ticket: string, clientId: string, redirectUri: string, state: string | undefined): string | undefined {
    const arrival = this.deps.kv.get<{ idHash: string; clientId: string; redirectUri: string; state: string | null }>(arrivalKey(ticket));
    if (!arrival || arrival.clientId !== clientId || arrival.redirectUri !== redirectUri || arrival.state !== (state ?? null)) return undefined;
    const id = parseCookies(req)[cookieNameForHash(arrival.idHash)];
    return id && hash(id) === arrival.idHash && this.#session(req, id) ? id : undefined;
  }

  #session(req: IncomingMessage, id: string): ClaimsSession | undefined {
    // The session is bound to the browser that arrived with the ticket (cookie), against CSRF and fixation.
    if (parseCookies(req)[cookieName(id)] !== id) return undefined;
    const stored = this.deps.kv.get<Omit<ClaimsSession, 'id'>>(sessionKey(id));
    return stored && { ...stored, id };
  }

  /** Stores the session under the SHA-256 of its id, without the id itself. */
  async #save(session: ClaimsSession): Promise<void> {
    const { id, ...stored } = session;
    await this.deps.kv.put(sessionKey(id), stored, SESSION_TTL);
  }

  #names(session: ClaimsSession): string[] {
    return session.permissions.map((p) => this.deps.state.resourceById(p.resource_id)?.name ?? p.resource_id);
  }

  #termsNeeded(session: ClaimsSession): boolean {
    if (session.claims?.terms_accepted_at) return false;
    return session.permissions.some((p) => {
      const resource = this.deps.state.resourceById(p.resource_id);
      return resource !== undefined && (this.deps.state.policy(resource.owner, this.deps.state.policyKey(resource))?.rules ?? []).some((r) => r.terms);
    });
  }

  #show(res: ServerResponse, session: ClaimsSession): void {
    const titles = session.permissions.map((p) => {
      const r = this.deps.state.resourceById(p.resource_id);
      return r?.description ? `${r.name ?? r._id} (${r.description})` : r?.name ?? p.resource_id;
    });
    const c = session.claims;
    const base = `/uma/claims/s/${session.id}`;
    const body: RawHtml = html`<div class="card"><h1>Access request</h1>
<p><strong>${session.clientName}</strong> is asking, on your behalf, for access to Kate's ${titles.join(', ')}.</p>
${session.notice ? html`<p class="error" role="alert">${session.notice}</p>` : ''}
${c ? html`<p class="ok">Signed in as ${c.name ?? c.sub} (${c.email ?? 'no email'}, ${c.role ?? 'no role'}) at Hospital ID.</p>`
    : html`<p>Kate shares these records only with people she knows. Sign in with your Hospital ID so her authorization server can check who you are.</p>
<form method="post" action="${base}/signin"><button type="submit">Sign in with Hospital ID</button></form>`}
${c ? html`<form method="post" action="${base}/continue">
${this.#termsNeeded(session) ? html`<h2>St. Mary Laboratory data-use terms</h2><p>${LAB_TERMS}</p>
<p><label><input type="checkbox" name="accept_terms" value="yes"> I accept the lab's terms</label></p><button type="submit">Accept and continue</button>` : html`<button type="submit">Continue</button>`}
</form>` : ''}
<form method="post" action="${base}/cancel"><button type="submit" class="secondary">Cancel and return</button></form></div>`;
    sendHtml(res, 200, page('Access request', body, BRAND));
  }

  async #idp(): Promise<oauth.AuthorizationServer> {
    if (this.#as) return this.#as;
    const issuer = new URL(this.deps.idpIssuer());
    const response = await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true, signal: AbortSignal.timeout(5000) });
    this.#as = await oauth.processDiscoveryResponse(issuer, response);
    return this.#as;
  }

  async #signIn(res: ServerResponse, session: ClaimsSession): Promise<void> {
    const as = await this.#idp();
    const oidc = { state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), verifier: oauth.generateRandomCodeVerifier() };
    const { notice: _notice, ...rest } = session;
    await this.#save({ ...rest, oidc });
    // The state leads back to the session's hash; the browser's cookie supplies the id itself.
    await this.deps.kv.put(oidcStateKey(oidc.state), hash(session.id), SESSION_TTL);
    const authorize = new URL(as.authorization_endpoint ?? `${this.deps.idpIssuer()}/auth`);
    authorize.search = new URLSearchParams({
      client_id: this.deps.idpClient.client_id, response_type: 'code', scope: 'openid email profile role',
      redirect_uri: `${this.deps.issuer}/uma/claims/oidc-callback`, state: oidc.state, nonce: oidc.nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(oidc.verifier), code_challenge_method: 'S256',
    }).toString();
    redirect(res, authorize.href);
  }

  async #oidcCallback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const sessionHash = this.deps.kv.get<string>(oidcStateKey(url.searchParams.get('state') ?? ''));
    const sessionId = sessionHash === undefined ? undefined : parseCookies(req)[cookieNameForHash(sessionHash)];
    const session = sessionId !== undefined && hash(sessionId) === sessionHash ? this.#session(req, sessionId) : undefined;
    if (!session?.oidc) return this.#problem(res, 400, 'This sign-in has expired', 'Go back to the application and try again.');
    await this.deps.kv.del(oidcStateKey(session.oidc.state));
    const as = await this.#idp();
    const client: oauth.Client = { client_id: this.deps.idpClient.client_id };
    let claims: RqpClaims;
    try {
      const params = oauth.validateAuthResponse(as, client, url.searchParams, session.oidc.state);
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(this.deps.idpClient.client_secret), params,
        `${this.deps.issuer}/uma/claims/oidc-callback`, session.oidc.verifier, { [oauth.allowInsecureRequests]: true, signal: AbortSignal.timeout(5000) });
      const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: session.oidc.nonce, requireIdToken: true });
      claims = await this.deps.verifyIdToken(String(result.id_token));
    } catch (error) {
      const description = error instanceof oauth.AuthorizationResponseError ? `${error.error}: ${error.error_description ?? ''}` : error instanceof Error ? error.message : 'sign-in failed';
      return this.#show(res, { ...session, notice: `Hospital ID sign-in did not complete (${description}).` });
    }
    const { oidc: _oidc, notice: _notice, ...rest } = session;
    await this.#save({ ...rest, claims });
    redirect(res, `/uma/claims/s/${session.id}`);
  }

  async #finish(res: ServerResponse, session: ClaimsSession, params: Record<string, string>): Promise<void> {
    await this.deps.kv.del(sessionKey(session.id));
    redirect(res, withParams(session.redirectUri, { ...params, state: session.state }), { 'Set-Cookie': `${cookieName(session.id)}=; Path=/uma/claims; HttpOnly; SameSite=Lax; Max-Age=0` });
  }

  #problem(res: ServerResponse, status: number, title: string, text: string): void {
    sendHtml(res, status, page(title, html`<div class="card"><h1>${title}</h1><p>${text}</p></div>`, BRAND));
  }
}
