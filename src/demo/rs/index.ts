/**
 * Kate's health-records API — the resource server. It registers her records at the AS through the
 * protection API with its PAT, answers a request without a sufficient RPT with a permission ticket
 * (401 + `WWW-Authenticate: UMA realm, as_uri, ticket`), checks RPTs by UMA-extended introspection
 * (cached briefly) and enforces scopes: `read` for GET, `write` for PUT. When the AS cannot be
 * reached it answers 403 with `Warning: 199 - "UMA Authorization Server Unreachable"`. A DPoP-bound
 * RPT (introspection's `cnf.jkt`) is served only as `Authorization: DPoP` with a proof of that key
 * for this request and token (RFC 9449 §7).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2
 * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-7
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { EVENTS_PATH, type DemoEvents } from '../events';
import type { KeyValueStore } from '../store/kv';
import { bearer, closeServer, guarded, HttpError, readJson, sendJson } from '../http/util';
import { DPOP_ALGS, DpopProblem, DpopVerifier } from '../http/dpop';
import { AS_RS_CLIENT, RESOURCES, type SeedResource } from '../seed';
import { DOCUMENTS } from './documents';
import { RECORDS } from './records';

export interface RsOptions {
  kv: KeyValueStore;
  server: Server;
  url: string;
  asIssuer: string;
  log: (line: string) => void;
  /** Publishes the RS's side of each exchange (src/demo/events.ts). */
  events?: DemoEvents;
  /** How long an introspection answer is reused (ms). */
  introspectionCacheMs?: number;
  /** The RS's protection-API client at the AS (default: the demo AS's {@link AS_RS_CLIENT}). */
  client?: { client_id: string; client_secret: string };
  /** `realm` of the UMA challenge (default `kate-health-records`). */
  realm?: string;
  /** Every DPoP proof must carry this RS's nonce (RFC 9449 §9: 401 `use_dpop_nonce` + `DPoP-Nonce`). */
  dpopNonce?: boolean;
}

export interface RsResource { id: string; name: string; title: string; url: string; scopes: string[]; owner: string }
export interface RsHandle {
  url: string;
  resources: RsResource[];
  /** Puts Kate's records back as the demo seeds them (a PUT changes them for good); returns how many. */
  resetRecords(): Promise<number>;
  close(): Promise<void>;
}

const DEFAULT_REALM = 'kate-health-records';

/** `Authorization: Bearer <token>` or `DPoP <token>` (RFC 9449 §7.1: same token68 syntax). */
function presented(req: IncomingMessage): { scheme: 'bearer' | 'dpop'; token: string } | undefined {
  const token = bearer(req);
  if (token) return { scheme: 'bearer', token };
  const match = /^DPoP\s+([\w\-.~+/]+=*)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] ? { scheme: 'dpop', token: match[1] } : undefined;
}

const TIMEOUT = 5000;

/**
 * `fetch` to the AS, tried once more when a pooled keep-alive connection turns out dead ("other side
 * closed"): after the demo is stopped and started again in one process on the same ports (the
 * desktop's "Stop the demo" / "Try the demo"), the first request may ride a socket of the old AS.
 */
async function asFetch(url: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
    return fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT) });
  }
}

class AsUnreachable extends Error {}

interface Introspected { active: boolean; exp?: number; cnf?: { jkt?: string | undefined }; permissions?: { resource_id: string; resource_scopes: string[]; exp?: number }[] }
const IntrospectionSchema = z.looseObject({
  active: z.boolean(),
  exp: z.number().optional(),
  // RFC 9449 §6.2: the key a DPoP-bound token is bound to.
  cnf: z.looseObject({ jkt: z.string().max(200).optional() }).optional(),
  permissions: z.array(z.object({ resource_id: z.string(), resource_scopes: z.array(z.string()), exp: z.number().optional() })).optional(),
});

/** A registered resource description as the AS returns it; Keycloak lists scopes as `{name}` objects. */
const ResourceDescriptionSchema = z.looseObject({
  name: z.string().optional(),
  type: z.string().optional(),
  resource_scopes: z.array(z.union([z.string(), z.looseObject({ name: z.string() })])).optional(),
});
type ResourceDescription = z.infer<typeof ResourceDescriptionSchema>;

function sameDescription(found: ResourceDescription | undefined, seed: SeedResource): boolean {
  if (!found || found.type !== seed.type) return false;
  const scopes = (found.resource_scopes ?? []).map((s) => (typeof s === 'string' ? s : s.name)).sort();
  return JSON.stringify(scopes) === JSON.stringify([...seed.scopes].sort()) && (found.description === undefined || found.description === seed.description);
}

export async function startRs(options: RsOptions): Promise<RsHandle> {
  const { kv, server, url, asIssuer, log } = options;
  const credentials = options.client ?? AS_RS_CLIENT;
  const realm = options.realm ?? DEFAULT_REALM;
  const cacheMs = options.introspectionCacheMs ?? 5000;
  const opts = { [oauth.allowInsecureRequests]: true } as const;
  type UmaMetadata = oauth.AuthorizationServer & { permission_endpoint?: string; resource_registration_endpoint?: string; introspection_endpoint_auth_methods_supported?: string[] };
  let as: UmaMetadata | undefined;
  let pat: { token: string; exp: number } | undefined;
  const cache = new Map<string, { at: number; value: Introspected }>();
  const client: oauth.Client = { client_id: credentials.client_id };

  async function metadata() {
    if (as) return as;
    try {
      const response = await asFetch(`${asIssuer}/.well-known/uma2-configuration`, { signal: AbortSignal.timeout(TIMEOUT) });
      if (!response.ok) throw new Error(`discovery answered ${response.status}`);
      const doc = (await response.json()) as UmaMetadata | undefined;
      if (doc?.issuer !== asIssuer) throw new Error('discovery issuer mismatch');
      as = doc;
      return doc;
    } catch (error) {
      throw new AsUnreachable(error instanceof Error ? error.message : String(error));
    }
  }

  async function getPat(force = false): Promise<string> {
    if (pat && !force && pat.exp > Date.now() + 30_000) return pat.token;
    const meta = await metadata();
    try {
      // `uma_protection` is a scope at the demo AS; at Keycloak it is a client role, and asking for it
      // as a scope is refused (400 invalid_scope), so it is requested only where the AS lists it.
      const scope: Record<string, string> = !meta.scopes_supported || meta.scopes_supported.includes('uma_protection') ? { scope: 'uma_protection' } : {};
      const response = await oauth.clientCredentialsGrantRequest(meta, client, oauth.ClientSecretBasic(credentials.client_secret), new URLSearchParams(scope), { ...opts, [oauth.customFetch]: asFetch, signal: AbortSignal.timeout(TIMEOUT) });
      const result = await oauth.processClientCredentialsResponse(meta, client, response);
      pat = { token: result.access_token, exp: Date.now() + (result.expires_in ?? 300) * 1000 };
      return pat.token;
    } catch (error) {
      throw new AsUnreachable(`PAT: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Calls a protection-API endpoint with the PAT, renewing it once when the AS says it is invalid. */
  async function protectedCall(endpoint: string, init: RequestInit): Promise<Response> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await getPat(attempt > 0);
      let response: Response;
      try {
        response = await asFetch(endpoint, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT) });
      } catch (error) {
        throw new AsUnreachable(error instanceof Error ? error.message : String(error));
      }
      if (response.status === 401 && attempt === 0) { await response.body?.cancel(); continue; }
      if (response.status >= 500) throw new AsUnreachable(`${endpoint} answered ${response.status}`);
      return response;
    }
    throw new AsUnreachable('the AS rejected a fresh PAT');
  }

  // Register (or re-find) Kate's resources at the AS — by name, so a restart does not duplicate them.
  const meta = await metadata();
  const rreg = meta.resource_registration_endpoint ?? `${asIssuer}/uma/resource_set`;
  const json = { 'Content-Type': 'application/json' };
  const listed = await protectedCall(rreg, { method: 'GET' });
  const ids = (await listed.json()) as string[];
  const byName = new Map<string, string>();
  const existing = new Map<string, ResourceDescription>();
  for (const id of ids) {
    const r = await protectedCall(`${rreg}/${encodeURIComponent(id)}`, { method: 'GET' });
    if (r.ok) {
      const parsed = ResourceDescriptionSchema.safeParse(await r.json().catch(() => undefined));
      if (parsed.success && parsed.data.name) {
        byName.set(parsed.data.name, id);
        existing.set(id, parsed.data);
      }
    }
  }
  const describe = (seed: SeedResource) => ({ name: seed.name, description: seed.description, type: seed.type, resource_scopes: seed.scopes });
  const resources: (RsResource & { seed: SeedResource })[] = [];
  for (const seed of RESOURCES) {
    let id = byName.get(seed.name);
    if (id) {
      // Rewrite only what differs: at Keycloak a PUT replaces the whole description, which would drop
      // the owner-managed flag and the realm's display names of resources the realm file registered.
      if (!sameDescription(existing.get(id), seed)) await protectedCall(`${rreg}/${encodeURIComponent(id)}`, { method: 'PUT', headers: json, body: JSON.stringify(describe(seed)) });
    } else {
      const created = await protectedCall(rreg, { method: 'POST', headers: json, body: JSON.stringify(describe(seed)) });
      if (created.status !== 201) throw new Error(`resource registration failed: ${created.status}`);
      id = ((await created.json()) as { _id: string })._id;
    }
    resources.push({ id, name: seed.name, title: seed.title, url: `${url}${seed.path}`, scopes: seed.scopes, owner: AS_RS_CLIENT.owner, seed });
    options.events?.publish('rs', { kind: 'registration', side: 'rs', resource: { id, name: seed.name, url: `${url}${seed.path}` }, scopes: seed.scopes, tokens: pat ? [{ role: 'pat', token: pat.token }] : [] });
    if (kv.get(`record:${seed.name}`) === undefined && !DOCUMENTS[seed.name]) await kv.put(`record:${seed.name}`, RECORDS[seed.name]);
  }
  log(`rs: registered ${resources.length} resources for ${AS_RS_CLIENT.owner} at ${asIssuer}`);
  // Introspection (FedAuthz §5): with the PAT where the AS says it accepts a bearer token (the demo
  // AS), otherwise with the RS's client credentials (Keycloak answers a PAT with 401 invalid_client).
  const introspectWithPat = (meta.introspection_endpoint_auth_methods_supported ?? []).includes('bearer');

  async function introspect(token: string): Promise<{ value: Introspected; cached: boolean }> {
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < cacheMs) return { value: hit.value, cached: true };
    const endpoint = (await metadata()).introspection_endpoint ?? `${asIssuer}/uma/introspect`;
    // `requesting_party_token` is Keycloak's hint for "add permissions[]"; other ASes ignore unknown hints (RFC 7662 §2.1).
    const form = new URLSearchParams({ token, token_type_hint: introspectWithPat ? 'access_token' : 'requesting_party_token' }).toString();
    const init = { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form };
    let response: Response;
    if (introspectWithPat) {
      response = await protectedCall(endpoint, init);
    } else {
      try {
        response = await asFetch(endpoint, { ...init, headers: { ...init.headers, Authorization: `Basic ${Buffer.from(`${encodeURIComponent(credentials.client_id)}:${encodeURIComponent(credentials.client_secret)}`).toString('base64')}` }, signal: AbortSignal.timeout(TIMEOUT) });
      } catch (error) {
        throw new AsUnreachable(error instanceof Error ? error.message : String(error));
      }
    }
    const parsed = IntrospectionSchema.safeParse(await response.json().catch(() => undefined));
    if (!response.ok || !parsed.success) throw new AsUnreachable(`introspection answered ${response.status}`);
    const value: Introspected = parsed.data;
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { at: Date.now(), value });
    return { value, cached: false };
  }

  const metadataUrl = `${new URL(url).origin}/.well-known/oauth-protected-resource`;
  const dpop = new DpopVerifier({ requireNonce: options.dpopNonce === true });
  const dpopChallenge = (error: string, description: string) => `DPoP error="${error}", error_description="${description}", algs="${DPOP_ALGS.join(' ')}"`;

  /**
   * The ticket for a permission (FedAuthz §4) and the UMA challenge that carries it; `also` are
   * challenges sent before it (a DPoP error), each its own WWW-Authenticate field.
   */
  async function challenge(res: ServerResponse, resource: RsResource, scope: string, also: { challenge: string; error: string; description: string }[] = []): Promise<void> {
    const resourceId = resource.id;
    const endpoint = (await metadata()).permission_endpoint ?? `${asIssuer}/uma/permission`;
    // An array of one permission: the spec allows a bare object too, but Keycloak parses only arrays.
    const response = await protectedCall(endpoint, { method: 'POST', headers: json, body: JSON.stringify([{ resource_id: resourceId, resource_scopes: [scope] }]) });
    const body = (await response.json().catch(() => ({}))) as { ticket?: string };
    if (response.status !== 201 || typeof body.ticket !== 'string') throw new AsUnreachable(`permission endpoint answered ${response.status}`);
    options.events?.publish('rs', { kind: 'permission', side: 'rs', resource: { id: resourceId, name: resource.name, url: resource.url }, scopes: [scope], status: 201, tokens: [...(pat ? [{ role: 'pat' as const, token: pat.token }] : []), { role: 'ticket', token: body.ticket }] });
    const uma = `UMA realm="${realm}", as_uri="${asIssuer}", ticket="${body.ticket}", resource_metadata="${metadataUrl}"`;
    const first = also[0];
    const answer = first ? { error: first.error, error_description: first.description } : { error: 'uma_ticket', error_description: 'An RPT with this permission is required; get one from the authorization server with this ticket.' };
    // sendJson takes string headers; two challenges go as two WWW-Authenticate fields.
    res.setHeader('WWW-Authenticate', [...also.map((a) => a.challenge), uma]);
    sendJson(res, 401, answer);
  }

  /**
   * A DPoP-bound RPT presented without the right proof of its key: RFC 9449 §7.1's `DPoP
   * error="invalid_token"` challenge, and beside it the UMA challenge with a fresh ticket, so a
   * client that lost the key (or sent the token as Bearer) can recover with a new grant (UMA Grant
   * §3.2), as for any RPT the RS does not accept.
   * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-7.1
   */
  function keyBindingRefusal(res: ServerResponse, resource: RsResource, scope: string, description: string): Promise<void> {
    return challenge(res, resource, scope, [{ challenge: dpopChallenge('invalid_token', description), error: 'invalid_token', description }]);
  }

  /**
   * A proof that fails RFC 9449 §4.3 (signature, htm/htu, iat, ath, jti) or lacks the nonce (§9):
   * 401 with the DPoP challenge alone; the RPT may be fine, a new proof is what the client needs.
   */
  function proofRefusal(res: ServerResponse, problem: DpopProblem): void {
    res.setHeader('WWW-Authenticate', dpopChallenge(problem.error, problem.message.replace(/["\\]/g, "'")));
    sendJson(res, 401, { error: problem.error, error_description: problem.message }, problem.nonce ? { 'DPoP-Nonce': problem.nonce } : {});
  }

  const unreachable = (res: ServerResponse, detail: string) => {
    log(`rs: authorization server unreachable (${detail})`);
    sendJson(res, 403, { error: 'as_unreachable', error_description: 'The UMA authorization server cannot be reached; try again later.' }, { Warning: '199 - "UMA Authorization Server Unreachable"' });
  };

  async function serve(req: IncomingMessage, res: ServerResponse, resource: RsResource & { seed: SeedResource }): Promise<void> {
    const scope = req.method === 'GET' || req.method === 'HEAD' ? 'read' : req.method === 'PUT' ? 'write' : undefined;
    if (!scope) throw new HttpError(405, 'invalid_request', `${req.method} is not supported here`);
    if (!resource.scopes.includes(scope)) throw new HttpError(405, 'invalid_request', `${resource.name} cannot be changed`);
    const credentials = presented(req);
    const hasAuth = req.headers.authorization !== undefined;
    if (hasAuth && !credentials) throw new HttpError(400, 'invalid_request', 'malformed Authorization header');
    if (credentials) {
      const { token } = credentials;
      // The proof first (§7.1: the DPoP scheme comes with a proof for this request and this token).
      let proofKey: string | undefined;
      if (credentials.scheme === 'dpop' && req.headersDistinct.dpop !== undefined) {
        try {
          proofKey = (await dpop.verify({ proofs: req.headersDistinct.dpop, method: req.method ?? 'GET', url: `${new URL(url).origin}${new URL(req.url ?? '/', url).pathname}`, accessToken: token })).jkt;
          // The nonce to use next, with every answer (§9).
          if (dpop.requireNonce) res.setHeader('DPoP-Nonce', dpop.nonce());
        } catch (error) {
          if (error instanceof DpopProblem) return proofRefusal(res, error);
          throw error;
        }
      }
      const { value: info, cached } = await introspect(token);
      // The binding (§7.1, §6.2): a bound RPT only with a proof of its key, the DPoP scheme only for a bound RPT.
      // An inactive RPT is answered below like any other: a new ticket.
      const boundTo = info.cnf?.jkt;
      if (info.active && (boundTo !== undefined || credentials.scheme === 'dpop')) {
        const problem = boundTo === undefined ? 'the DPoP scheme is for DPoP-bound tokens; this one is not bound to a key'
          : credentials.scheme === 'bearer' ? 'this RPT is DPoP-bound: present it with the DPoP scheme and a DPoP proof'
            : proofKey === undefined ? 'a DPoP proof is required with this RPT'
              : proofKey !== boundTo ? 'the DPoP proof is not signed by the key this RPT is bound to' : undefined;
        if (problem) return keyBindingRefusal(res, resource, scope, problem);
      }
      const now = Math.floor(Date.now() / 1000);
      const allowed = info.active && (info.exp === undefined || info.exp > now)
        && (info.permissions ?? []).some((p) => p.resource_id === resource.id && p.resource_scopes.includes(scope) && (p.exp === undefined || p.exp > now));
      options.events?.publish('rs', { kind: 'introspection', side: 'rs', resource: { id: resource.id, name: resource.name, url: resource.url }, scopes: [scope], cached, active: allowed, tokens: [{ role: 'rpt', token }, ...(!cached && introspectWithPat && pat ? [{ role: 'pat' as const, token: pat.token }] : [])] });
      // An invalid or insufficient RPT is answered like no RPT at all: a new ticket (UMA Grant §3.5).
      if (!allowed) return challenge(res, resource, scope);
    } else {
      return challenge(res, resource, scope);
    }
    const document = DOCUMENTS[resource.name];
    if (document) {
      if (scope !== 'read') throw new HttpError(405, 'invalid_request', 'this record is a document and cannot be replaced');
      const bytes = document.bytes();
      res.writeHead(200, { 'content-type': document.type, 'content-length': String(bytes.byteLength), 'content-disposition': `inline; filename="${resource.name}.pdf"`, 'cache-control': 'no-store' });
      res.end(bytes);
      return;
    }
    if (scope === 'read') return sendJson(res, 200, kv.get(`record:${resource.name}`) ?? {});
    const body = await readJson(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'invalid_request', 'the record must be a JSON object');
    await kv.put(`record:${resource.name}`, body);
    sendJson(res, 200, body);
  }

  server.on('request', guarded(async (req, res, reqUrl) => {
    if (reqUrl.pathname === EVENTS_PATH && options.events) return options.events.handle('rs', req, res);
    if (reqUrl.pathname === '/.well-known/oauth-protected-resource' && req.method === 'GET') {
      // RFC 9728 §2: who this RS is and which AS it accepts RPTs from (the challenge names this document).
      return sendJson(res, 200, {
        resource: new URL(url).origin,
        authorization_servers: [asIssuer],
        resource_name: "Kate's health records",
        resource_documentation: `${new URL(url).origin}/`,
        scopes_supported: ['read', 'write'],
        bearer_methods_supported: ['header'],
        // RFC 9728 §2 / RFC 9449 §7: DPoP-bound RPTs are checked, bearer RPTs still served.
        dpop_signing_alg_values_supported: [...DPOP_ALGS],
        dpop_bound_access_tokens_required: false,
      });
    }
    if (reqUrl.pathname === '/' && req.method === 'GET') {
      return sendJson(res, 200, { service: "Kate's health records", authorization_server: asIssuer, resources: resources.map(({ seed: _seed, ...r }) => r) });
    }
    const resource = resources.find((r) => r.seed.path === reqUrl.pathname.replace(/\/+$/, ''));
    if (!resource) throw new HttpError(404, 'not_found', 'no such record');
    try {
      await serve(req, res, resource);
    } catch (error) {
      if (error instanceof AsUnreachable) return unreachable(res, error.message);
      throw error;
    }
  }, log, url));

  const resetRecords = async (): Promise<number> => {
    const seeds = resources.filter((r) => !DOCUMENTS[r.seed.name]);
    for (const r of seeds) await kv.put(`record:${r.seed.name}`, RECORDS[r.seed.name]);
    log(`rs: ${seeds.length} records reset to the demo's story`);
    return seeds.length;
  };
  return { url, resources: resources.map(({ seed: _seed, ...r }) => r), resetRecords, close: () => closeServer(server) };
}
