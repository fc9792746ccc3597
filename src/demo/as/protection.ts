/**
 * The protection API the RS calls with its PAT (UMA Federated Authorization §3–5): resource
 * registration, the permission endpoint and UMA-extended token introspection — plus RFC 7009
 * revocation of RPTs, refresh tokens and PCTs for clients.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-federated-authz-2.0.html
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { bearer, HttpError, readForm, readJson, sendJson } from '../http/util';
import type { ResourceDescription, UmaState } from './state';

export interface ProtectionDeps {
  state: UmaState;
  issuer: string;
  /** The resource owner a valid PAT (scope `uma_protection`) speaks for, or undefined. */
  patOwner: (token: string) => Promise<string | undefined>;
  /** RFC 6749 §2.3 client authentication for the revocation endpoint; undefined when it fails. */
  authenticateClient: (req: IncomingMessage, form: Record<string, string>) => Promise<{ id: string; name: string } | undefined>;
  /** Called when a resource appears, so the owner's default policy can attach to it. */
  onResourceCreated?: (resource: ResourceDescription) => Promise<void>;
}

const invalidToken = () => new HttpError(401, 'invalid_token', 'a valid PAT with scope uma_protection is required');
const wwwAuth = (realm: string) => ({ 'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_token", scope="uma_protection"` });

async function requirePat(deps: ProtectionDeps, req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  const token = bearer(req);
  const owner = token ? await deps.patOwner(token) : undefined;
  if (!owner) {
    const e = invalidToken();
    sendJson(res, 401, { error: e.error, error_description: e.message }, wwwAuth(deps.issuer));
  }
  return owner;
}

const scopeString = z.string().min(1).max(200);

/**
 * An absolute http(s) URL without credentials. `z.string().url()` alone admits `javascript:`,
 * `data:` and `file:` URLs, which a dashboard or client showing the resource's icon would follow.
 */
export const WebUrl = z.string().max(2000).refine((value) => {
  let url: URL;
  try { url = new URL(value); } catch { return false; }
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
}, { message: 'must be an absolute http or https URL without credentials' });

/** Resource description (FedAuthz §3.1); extension members are kept. */
const ResourceSchema = z.looseObject({
  resource_scopes: z.array(scopeString).min(1).max(50),
  description: z.string().max(2000).optional(),
  icon_uri: WebUrl.optional(),
  name: z.string().min(1).max(200).optional(),
  type: z.string().max(500).optional(),
}).superRefine((description, ctx) => {
  // Extension members that name a URL (`*_uri`, `*_url`) are held to the same rule as icon_uri.
  for (const [key, value] of Object.entries(description)) {
    if (key === 'icon_uri' || !/_ur[il]$/i.test(key)) continue;
    if (!WebUrl.safeParse(value).success) ctx.addIssue({ code: 'custom', path: [key], message: 'must be an absolute http or https URL without credentials' });
  }
});

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** `/uma/resource_set[/{_id}]` (FedAuthz §3.2). */
export async function resourceRegistration(deps: ProtectionDeps, req: IncomingMessage, res: ServerResponse, id: string | undefined): Promise<void> {
  const owner = await requirePat(deps, req, res);
  if (!owner) return;
  const base = `${deps.issuer}/uma/resource_set`;
  const policyUri = (rid: string) => `${deps.issuer}/dashboard#resource-${rid}`;
  const parse = async () => {
    const parsed = ResourceSchema.safeParse(await readJson(req));
    if (!parsed.success) throw new HttpError(400, 'invalid_request', describe(parsed.error));
    if (Object.hasOwn(parsed.data, '_id')) throw new HttpError(400, 'invalid_request', '_id is assigned by the authorization server');
    return parsed.data;
  };
  if (id === undefined) {
    if (req.method === 'GET') return sendJson(res, 200, deps.state.resources(owner).map((r) => r._id));
    if (req.method === 'POST') {
      const description = await parse();
      const resource: ResourceDescription = { ...description, _id: randomUUID(), owner };
      await deps.state.saveResource(resource);
      await deps.onResourceCreated?.(resource);
      return sendJson(res, 201, { _id: resource._id, user_access_policy_uri: policyUri(resource._id) }, { Location: `${base}/${resource._id}` });
    }
    throw new HttpError(405, 'unsupported_method_type', `${req.method} is not supported on the resource registration endpoint`);
  }
  const existing = deps.state.resource(owner, id);
  if (!existing) throw new HttpError(404, 'not_found', 'no such resource for this resource owner');
  if (req.method === 'GET') {
    const { owner: _owner, ...description } = existing;
    return sendJson(res, 200, description);
  }
  if (req.method === 'PUT') {
    const description = await parse();
    await deps.state.saveResource({ ...description, _id: id, owner });
    return sendJson(res, 200, { _id: id, user_access_policy_uri: policyUri(id) });
  }
  if (req.method === 'DELETE') {
    await deps.state.deleteResource(owner, id);
    res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
    return;
  }
  throw new HttpError(405, 'unsupported_method_type', `${req.method} is not supported on a registered resource`);
}

const PermissionSchema = z.object({ resource_id: z.string().min(1).max(200), resource_scopes: z.array(scopeString).max(50) });

/** `/uma/permission` (FedAuthz §4): one permission object or an array of them → 201 `{ticket}`. */
export async function permissionEndpoint(deps: ProtectionDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') throw new HttpError(405, 'invalid_request', 'use POST');
  const owner = await requirePat(deps, req, res);
  if (!owner) return;
  const body = await readJson(req);
  const parsed = z.union([PermissionSchema, z.array(PermissionSchema).min(1).max(50)]).safeParse(body);
  if (!parsed.success) throw new HttpError(400, 'invalid_request', `expected a permission object or a non-empty array of them: ${describe(parsed.error)}`);
  const requests = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  for (const p of requests) {
    const resource = deps.state.resource(owner, p.resource_id);
    if (!resource) throw new HttpError(400, 'invalid_resource_id', `resource ${p.resource_id} is not registered for this resource owner`);
    const unknown = p.resource_scopes.filter((s) => !resource.resource_scopes.includes(s));
    if (unknown.length) throw new HttpError(400, 'invalid_scope', `scope ${unknown.join(', ')} is not registered for resource ${p.resource_id}`);
  }
  const ticket = await deps.state.issueTicket({ owner, permissions: requests.map((p) => ({ resource_id: p.resource_id, resource_scopes: [...new Set(p.resource_scopes)] })) });
  sendJson(res, 201, { ticket });
}

/**
 * `/uma/introspect` (RFC 7662 + FedAuthz §5): `permissions[]`, never `scope`, for the PAT's owner; a
 * DPoP-bound RPT says so with `token_type: DPoP` and `cnf.jkt`, which the RS compares with the proof's key.
 * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-6.2
 */
export async function introspection(deps: ProtectionDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') throw new HttpError(405, 'invalid_request', 'use POST');
  const owner = await requirePat(deps, req, res);
  if (!owner) return;
  const form = await readForm(req);
  if (!form.token) throw new HttpError(400, 'invalid_request', 'token is required');
  const record = deps.state.rpt(form.token);
  const t = Math.floor(Date.now() / 1000);
  if (!record || record.owner !== owner || record.exp <= t) return sendJson(res, 200, { active: false });
  const permissions = record.permissions.filter((p) => deps.state.resource(owner, p.resource_id) !== undefined).map((p) => ({ ...p, exp: Math.min(p.exp ?? record.exp, record.exp) }));
  sendJson(res, 200, { active: true, token_type: record.jkt ? 'DPoP' : 'Bearer', client_id: record.clientId, iat: record.iat, exp: record.exp, iss: deps.issuer, ...(record.requester ? { sub: record.requester.sub } : {}), ...(record.jkt ? { cnf: { jkt: record.jkt } } : {}), permissions });
}

/** `/uma/revoke` (RFC 7009; UMA Grant §3.7 adds `token_type_hint=pct`). */
export async function revocation(deps: ProtectionDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') throw new HttpError(405, 'invalid_request', 'use POST');
  const form = await readForm(req);
  const client = await deps.authenticateClient(req, form);
  if (!client) {
    sendJson(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' }, { 'WWW-Authenticate': `Basic realm="${deps.issuer}"` });
    return;
  }
  const token = form.token;
  if (!token) throw new HttpError(400, 'invalid_request', 'token is required');
  const hint = form.token_type_hint;
  if (hint !== undefined && !['access_token', 'refresh_token', 'pct'].includes(hint)) {
    throw new HttpError(400, 'unsupported_token_type', `token_type_hint "${hint}" is not supported`);
  }
  const { state } = deps;
  // Try the hinted type first, then the others (RFC 7009 §2.1); tokens of other clients are left alone.
  const rpt = state.rpt(token);
  if (rpt && rpt.clientId === client.id) {
    const revoked = await state.revokeRptById(rpt.id);
    if (revoked) await state.log({ owner: revoked.owner, who: revoked.requester?.email ?? 'unidentified requesting party', client: client.name, resources: revoked.permissions.map((p) => state.resourceById(p.resource_id)?.name ?? p.resource_id), scopes: [], outcome: 'revoked', detail: 'revoked by the client' });
  }
  const refresh = state.refresh(token);
  if (refresh && refresh.clientId === client.id) {
    await state.revokeRefresh(token);
    await state.revokeRptByHash(refresh.rptHash);
  }
  const pct = state.pct(token);
  if (pct && pct.clientId === client.id) await state.revokePct(token);
  res.writeHead(200, { 'Cache-Control': 'no-store', 'Content-Length': 0 }).end();
}
