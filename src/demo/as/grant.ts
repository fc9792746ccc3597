/**
 * The UMA grant at the token endpoint (UMA Grant §3.3.1–3.3.6) and the refresh of RPTs (§3.6), as
 * plain functions from the authenticated client and the form parameters to a status and JSON body.
 * oidc-provider authenticates the client and dispatches here (see ./index.ts); the answers carry the
 * UMA members (`ticket`, `required_claims`, `redirect_user`, `interval`, `pct`, `upgraded`).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
 */
import { randomUUID } from 'node:crypto';
import { assess, ruleFacts, type Decision, type RqpClaims } from './policy';
import type { DemoEvents, ServerEvent } from '../events';
import { ClaimTokenError } from './id-token';
import type { Permission, UmaState } from './state';

export const UMA_GRANT = 'urn:ietf:params:oauth:grant-type:uma-ticket';
export const ID_TOKEN_FORMAT = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';

export interface GrantDeps {
  state: UmaState;
  verifyIdToken: (token: string) => Promise<RqpClaims>;
  idpIssuer: () => string;
  asIssuer: string;
  /** Seconds between polls announced with request_submitted. */
  pollInterval: number;
  /** Publishes each decision (src/demo/events.ts). */
  events?: DemoEvents;
}

export interface GrantAnswer { status: number; body: Record<string, unknown> }

/**
 * The key a valid DPoP proof came with on this token request (its thumbprint, RFC 7638): the RPT is
 * bound to it (`token_type: DPoP`, `cnf.jkt` at introspection). None: a bearer RPT, as before.
 * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-5
 */
export interface DpopBinding { jkt: string }

const tokenType = (binding: DpopBinding | undefined) => (binding ? 'DPoP' : 'Bearer');

export interface UmaGrantParams {
  ticket?: string | undefined;
  claim_token?: string | undefined;
  claim_token_format?: string | undefined;
  pct?: string | undefined;
  rpt?: string | undefined;
  scope?: string | undefined;
}

const err = (status: number, error: string, description: string, extra: Record<string, unknown> = {}): GrantAnswer =>
  ({ status, body: { error, error_description: description, ...extra } });
const now = () => Math.floor(Date.now() / 1000);

const requesterOf = (c: RqpClaims) => ({ issuer: c.issuer, sub: c.sub, ...(c.email ? { email: c.email } : {}), ...(c.name ? { name: c.name } : {}), ...(c.role ? { role: c.role } : {}) });
const who = (c: RqpClaims | undefined) => (c ? c.email ?? `${c.sub} at ${c.issuer}` : 'unidentified requesting party');

export async function umaGrant(deps: GrantDeps, client: { id: string; name: string }, params: UmaGrantParams, binding?: DpopBinding): Promise<GrantAnswer> {
  const { state } = deps;
  if (!params.ticket) return err(400, 'invalid_request', 'ticket is required for the UMA grant');
  if ((params.claim_token === undefined) !== (params.claim_token_format === undefined)) {
    return err(400, 'invalid_request', 'claim_token and claim_token_format must be sent together');
  }
  // Presenting a ticket consumes it, whatever the outcome (UMA Grant §5.5).
  const ticket = await state.consumeTicket(params.ticket);
  if (!ticket || (ticket.clientId !== undefined && ticket.clientId !== client.id)) {
    deps.events?.publish('as', { kind: 'decision', side: 'as', outcome: 'invalid_grant', status: 400, tokens: [{ role: 'ticket', token: params.ticket }] });
    return err(400, 'invalid_grant', 'the permission ticket is unknown, expired or already used; ask the resource server for a new one');
  }
  const resources = ticket.permissions.map((p) => state.resourceById(p.resource_id));
  const continueWith = (extra: Partial<typeof ticket>) => state.issueTicket({ owner: ticket.owner, permissions: ticket.permissions, clientId: client.id, ...(ticket.claims ? { claims: ticket.claims } : {}), ...(ticket.requestId ? { requestId: ticket.requestId } : {}), ...extra });

  // Requested scopes: the ticket's, plus `scope` where the resource offers it (UMA Grant §1.2, §3.3.1).
  const extraScopes = params.scope?.split(' ').filter(Boolean) ?? [];
  for (const scope of extraScopes) {
    if (!resources.some((r) => r?.resource_scopes.includes(scope))) {
      return err(400, 'invalid_scope', `scope "${scope}" is not offered by any resource in this ticket`);
    }
  }

  // Claims: gathered in this process, pushed now, or persisted behind a PCT.
  let claims: RqpClaims | undefined = ticket.claims;
  let claimsAreNew = ticket.claims !== undefined;
  let claimProblem: string | undefined;
  let pctUsed = false;
  if (params.pct) {
    const pct = state.pct(params.pct);
    // An unknown PCT is ignored, as the spec defines no error for it (UMA Grant §3.3.1); claims will be asked for.
    if (pct && pct.clientId === client.id && pct.exp > now()) {
      if (!claims) claims = pct.claims;
      else if (claims.sub === pct.claims.sub && claims.issuer === pct.claims.issuer) claims = { ...pct.claims, ...claims };
      pctUsed = true;
    }
  }
  if (params.claim_token !== undefined) {
    if (params.claim_token_format !== ID_TOKEN_FORMAT) {
      claimProblem = `claim_token_format "${params.claim_token_format}" is not supported; push an OpenID Connect ID token (${ID_TOKEN_FORMAT})`;
    } else {
      try {
        const pushed = await deps.verifyIdToken(params.claim_token);
        claims = claims && claims.sub === pushed.sub && claims.issuer === pushed.issuer ? { ...claims, ...pushed } : pushed;
        claimsAreNew = true;
      } catch (error) {
        if (!(error instanceof ClaimTokenError)) throw error;
        claimProblem = error.message;
      }
    }
  }

  let request = ticket.requestId ? state.request(ticket.requestId) : undefined;
  const assessAll = (req: typeof request): Decision[] => ticket.permissions.map((permission, i) => {
    const resource = resources[i];
    if (!resource) return { kind: 'deny' };
    const scopes = [...new Set([...permission.resource_scopes, ...extraScopes.filter((s) => resource.resource_scopes.includes(s))])];
    return assess(state.policy(resource.owner, state.policyKey(resource)), { resourceId: resource._id, resourceName: resource.name ?? resource._id, scopes }, claims,
      (ruleId) => (req && req.ruleIds.includes(ruleId) && req.requester.sub === claims?.sub ? (req.status === 'approved' ? 'approved' : req.status === 'denied' ? 'denied' : 'none') : 'none'));
  });
  const grantsOf = (ds: Decision[]) => ds.filter((d): d is Extract<Decision, { kind: 'grant' }> => d.kind === 'grant');
  let decisions = assessAll(request);
  let grants = grantsOf(decisions);
  // Kate's approval is single-use: consume it (one store transaction) before anything is issued. A
  // poll that loses the race to another ticket on the same approval is assessed again without it.
  const approved = request;
  if (approved?.status === 'approved' && grants.some((g) => approved.ruleIds.includes(g.ruleId)) && !(await state.useApproval(approved.id))) {
    request = state.request(approved.id);
    decisions = assessAll(request);
    grants = grantsOf(decisions);
  }
  const names = resources.map((r) => r?.name ?? r?._id ?? 'unknown');
  // The AS's side for Tessera's end-to-end diagram: which rules, on which claims, from where.
  const decided = (outcome: NonNullable<ServerEvent['outcome']>, status: number, ruleIds: string[] | 'all', tokens: { role: ServerEvent['tokens'][number]['role']; token: string }[], requestId?: string) => {
    if (!deps.events) return;
    const first = resources[0];
    const scopes = [...new Set([...ticket.permissions.flatMap((p) => p.resource_scopes), ...extraScopes])];
    const facts = first ? ruleFacts(state.policy(first.owner, state.policyKey(first)), scopes, claims) : [];
    const source = params.claim_token !== undefined && !claimProblem ? 'id_token' : pctUsed ? 'pct' : 'interaction';
    const values: Record<string, string> = {};
    if (claims?.role) values.role = claims.role;
    if (claims?.email) values.email = claims.email;
    if (claims?.terms_accepted_at !== undefined) values.terms = 'accepted';
    deps.events.publish('as', {
      kind: 'decision', side: 'as', outcome, status, scopes,
      ...(first ? { resource: { id: first._id, name: first.name ?? first._id } } : {}),
      rules: ruleIds === 'all' ? facts : facts.filter((f) => ruleIds.includes(f.id)),
      ...(claims ? { claims: { source, issuer: claims.issuer, values }, requester: claims.name ?? claims.email ?? claims.sub } : {}),
      ...(requestId ? { request: requestId } : {}),
      tokens: [{ role: 'ticket', token: params.ticket ?? '' }, ...(params.pct && pctUsed ? [{ role: 'pct' as const, token: params.pct }] : []), ...tokens],
    });
  };

  if (grants.length > 0) {
    const iat = now();
    let permissions: Permission[] = grants.map((g) => ({ resource_id: g.resourceId, resource_scopes: g.scopes, iat }));
    // RPT upgrade (UMA Grant §3.3.5.1): fold in the unexpired permissions of the RPT sent, revoke it.
    // A DPoP-bound RPT is folded in only by a request proving its key (RFC 9449 §5: whoever holds a
    // stolen bound RPT must not turn its permissions into a token of another key, or a bearer one).
    let upgraded = false;
    if (params.rpt) {
      const held = state.rpt(params.rpt);
      if (held && held.clientId === client.id && held.owner === ticket.owner && (!claims || !held.requester || held.requester.sub === claims.sub) && held.jkt === binding?.jkt) {
        permissions = mergePermissions(held.exp > iat ? held.permissions : [], permissions);
        await state.revokeRptById(held.id);
        upgraded = true;
      }
    }
    const issued = await state.issueRpt({ clientId: client.id, owner: ticket.owner, permissions, ...(claims ? { requester: requesterOf(claims) } : {}), ...(binding ? { jkt: binding.jkt } : {}) }, true);
    let pct: string | undefined;
    if (claims && (claimsAreNew || !pctUsed)) {
      if (params.pct) await state.revokePct(params.pct);
      pct = await state.issuePct(client.id, claims);
    }
    decided('granted', 200, grants.map((g) => g.ruleId), [{ role: 'rpt', token: issued.rpt }, ...(params.rpt && upgraded ? [{ role: 'old_rpt' as const, token: params.rpt }] : []), ...(pct ? [{ role: 'pct' as const, token: pct }] : [])], approved?.status === 'approved' ? approved.id : undefined);
    const partial = grants.length < decisions.length;
    await state.log({ owner: ticket.owner, who: who(claims), client: client.name, resources: grants.map((g) => names[ticket.permissions.findIndex((p) => p.resource_id === g.resourceId)] ?? g.resourceId), scopes: [...new Set(grants.flatMap((g) => g.scopes))], outcome: partial ? 'partial' : 'granted', ...(partial ? { detail: `not granted: ${names.filter((_, i) => decisions[i]?.kind !== 'grant').join(', ')}` } : {}) });
    return {
      status: 200,
      body: {
        access_token: issued.rpt,
        token_type: tokenType(binding),
        expires_in: deps.state.lifetimes.rpt,
        ...(issued.refresh ? { refresh_token: issued.refresh } : {}),
        ...(pct ? { pct } : {}),
        ...(params.rpt ? { upgraded } : {}),
      },
    };
  }

  const logBase = { owner: ticket.owner, who: who(claims), client: client.name, resources: names, scopes: [...new Set(ticket.permissions.flatMap((p) => p.resource_scopes))] };
  if (decisions.some((d) => d.kind === 'need_claims') || (claimProblem && !claims)) {
    const newTicket = await continueWith({});
    await state.log({ ...logBase, outcome: 'need_info', detail: claimProblem ?? 'identity claims needed' });
    decided('need_info', 403, 'all', [{ role: 'new_ticket', token: newTicket }]);
    return err(403, 'need_info', claimProblem ? `${claimProblem}; push a valid ID token from Hospital ID or sign in through the claims-interaction endpoint` : 'Tell us who you are: push an ID token from Hospital ID, or sign in through the claims-interaction endpoint',
      { ticket: newTicket, required_claims: requiredClaims(deps, ticket.permissions.map((p) => p.resource_id)), redirect_user: `${deps.asIssuer}/uma/claims` });
  }
  if (decisions.some((d) => d.kind === 'need_terms')) {
    const newTicket = await continueWith(claims ? { claims } : {});
    await state.log({ ...logBase, outcome: 'need_info', detail: "the lab's terms must be accepted" });
    decided('need_info', 403, decisions.some((d) => d.kind === 'need_terms') ? 'all' : [], [{ role: 'new_ticket', token: newTicket }]);
    return err(403, 'need_info', "The owner's policy requires accepting the lab's data-use terms: send the requesting party to redirect_user", { ticket: newTicket, redirect_user: `${deps.asIssuer}/uma/claims` });
  }
  const approvals = decisions.filter((d): d is Extract<Decision, { kind: 'need_approval' }> => d.kind === 'need_approval');
  if (approvals.length > 0 && claims) {
    const resourceIds = ticket.permissions.map((p) => p.resource_id);
    let pending = request && request.status === 'pending' ? request : state.openRequest(ticket.owner, client.id, claims.sub, claims.issuer, resourceIds);
    if (!pending) {
      pending = { id: randomUUID(), owner: ticket.owner, clientId: client.id, clientName: client.name, requester: requesterOf(claims), permissions: ticket.permissions, ruleIds: approvals.map((a) => a.ruleId), status: 'pending', createdAt: now() };
      await state.saveRequest(pending);
      await state.log({ ...logBase, outcome: 'pending', detail: 'waiting for the owner to approve' });
    }
    const newTicket = await continueWith({ claims, requestId: pending.id });
    decided('request_submitted', 403, approvals.map((a) => a.ruleId), [{ role: 'new_ticket', token: newTicket }], pending.id);
    return err(403, 'request_submitted', "The request is waiting for the resource owner's approval; poll with the new ticket", { ticket: newTicket, interval: deps.pollInterval });
  }
  await state.log({ ...logBase, outcome: 'denied', ...(request?.status === 'denied' ? { detail: 'the owner denied the request' } : {}) });
  decided('denied', 403, 'all', [], request?.id);
  return err(403, 'request_denied', request?.status === 'denied' ? 'The resource owner denied this request' : "The resource owner's policy does not allow this requesting party these permissions");
}

function mergePermissions(held: Permission[], added: Permission[]): Permission[] {
  const byId = new Map<string, Permission>();
  for (const p of [...held, ...added]) {
    const prior = byId.get(p.resource_id);
    byId.set(p.resource_id, prior ? { ...p, resource_scopes: [...new Set([...prior.resource_scopes, ...p.resource_scopes])] } : p);
  }
  return [...byId.values()];
}

/** `required_claims` for these resources: the claim names Kate's rules look at, from Hospital ID. */
function requiredClaims(deps: GrantDeps, resourceIds: string[]) {
  const names = new Set<string>();
  const issuers = new Set<string>();
  for (const id of resourceIds) {
    const resource = deps.state.resourceById(id);
    if (!resource) continue;
    for (const rule of deps.state.policy(resource.owner, deps.state.policyKey(resource))?.rules ?? []) {
      names.add(rule.match.claim);
      issuers.add(rule.issuer);
    }
  }
  if (issuers.size === 0) issuers.add(deps.idpIssuer());
  return [...names].sort().map((name) => ({ claim_token_format: [ID_TOKEN_FORMAT], issuer: [...issuers], name, friendly_name: name }));
}

/**
 * The refresh_token grant for RPTs (UMA Grant §3.6): same permissions, no new assessment, rotated
 * refresh token. The refresh of a DPoP-bound grant must prove the same key (RFC 9449 §5; the demo
 * binds the refresh tokens of confidential clients too); a proof with the refresh of a bearer grant
 * binds the new RPT to its key.
 */
export async function refreshRpt(deps: GrantDeps, client: { id: string; name: string }, params: { refresh_token?: string | undefined; scope?: string | undefined }, binding?: DpopBinding): Promise<GrantAnswer> {
  const { state } = deps;
  if (!params.refresh_token) return err(400, 'invalid_request', 'refresh_token is required');
  const refresh = state.refresh(params.refresh_token);
  if (!refresh || refresh.clientId !== client.id || refresh.exp <= now()) return err(400, 'invalid_grant', 'the refresh token is unknown, expired or revoked');
  // Checked before the refresh token is used up: a request without the key changes nothing.
  if (refresh.jkt !== undefined && refresh.jkt !== binding?.jkt) {
    return err(400, 'invalid_grant', binding ? 'the DPoP proof is not signed by the key this grant is bound to' : 'this grant is DPoP-bound: send a DPoP proof signed by its key');
  }
  const held = state.rptByHash(refresh.rptHash);
  if (!held) {
    await state.revokeRefresh(params.refresh_token);
    return err(400, 'invalid_grant', 'the grant behind this refresh token was revoked');
  }
  let permissions = held.permissions;
  if (params.scope) {
    const narrow = params.scope.split(' ').filter(Boolean);
    permissions = permissions.map((p) => ({ ...p, resource_scopes: p.resource_scopes.filter((s) => narrow.includes(s)) })).filter((p) => p.resource_scopes.length > 0);
    if (permissions.length === 0) return err(400, 'invalid_scope', 'the requested scope is not part of the original grant');
  }
  // Rotation: the refresh token is used up in one transaction before a new RPT is issued.
  if (!(await state.takeRefresh(params.refresh_token, client.id))) return err(400, 'invalid_grant', 'the refresh token is unknown, expired or revoked');
  await state.revokeRptById(held.id);
  const issued = await state.issueRpt({ clientId: client.id, owner: held.owner, permissions, ...(held.requester ? { requester: held.requester } : {}), ...(binding ? { jkt: binding.jkt } : {}) }, true);
  await state.log({ owner: held.owner, who: held.requester?.email ?? 'unidentified requesting party', client: client.name, resources: permissions.map((p) => state.resourceById(p.resource_id)?.name ?? p.resource_id), scopes: [...new Set(permissions.flatMap((p) => p.resource_scopes))], outcome: 'refreshed' });
  return { status: 200, body: { access_token: issued.rpt, token_type: tokenType(binding), expires_in: state.lifetimes.rpt, ...(issued.refresh ? { refresh_token: issued.refresh } : {}) } };
}
