/**
 * Kate's dashboard on the AS (the resource owner's side of UMA): sign in, see the resources the RS
 * registered, edit who may access them, approve or deny pending requests (request_submitted), see
 * the access log, and revoke grants and PCTs. Server-rendered HTML forms; an HttpOnly SameSite=Strict
 * session cookie and a per-session CSRF token on every form.
 */
import type { DemoEvents } from '../events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { html, HttpError, page, parseCookies, raw, readForm, redirect, safeEqual, sendHtml, type RawHtml } from '../http/util';
import type { KeyValueStore } from '../store/kv';
import { USERS } from '../seed';
import { PolicySchema, type Rule } from './policy';
import { hash, type UmaState } from './state';

const BRAND = "Kate's authorization server — owner dashboard";
const COOKIE = 'owner_session';
const TTL = 8 * 3600;

interface OwnerSession { owner: string; csrf: string }

export interface DashboardDeps { kv: KeyValueStore; state: UmaState; idpIssuer: () => string; events?: DemoEvents; resetRecords?: () => Promise<number> }

const when = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

export async function dashboard(deps: DashboardDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '') || '/dashboard';
  const sid = parseCookies(req)[COOKIE];
  const session = sid ? deps.kv.get<OwnerSession>(`owner-session:${hash(sid)}`) : undefined;

  if (path === '/dashboard/login' && req.method === 'POST') {
    const form = await readForm(req);
    const user = USERS.find((u) => u.at === 'as' && u.username === (form.login ?? '').trim().toLowerCase());
    if (!user || !safeEqual(user.password, form.password ?? '')) return sendHtml(res, 401, loginPage('Unknown username or wrong password.'));
    const newSid = randomBytes(32).toString('base64url');
    await deps.kv.put(`owner-session:${hash(newSid)}`, { owner: user.username, csrf: randomBytes(24).toString('base64url') } satisfies OwnerSession, TTL);
    return redirect(res, '/dashboard', { 'Set-Cookie': `${COOKIE}=${newSid}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${TTL}` });
  }
  if (!session || !sid) {
    if (req.method !== 'GET') return redirect(res, '/dashboard');
    return sendHtml(res, 200, loginPage());
  }
  if (req.method === 'GET' && path === '/dashboard') return sendHtml(res, 200, page('Dashboard', overview(deps, session), BRAND));
  if (req.method !== 'POST') throw new HttpError(405, 'invalid_request', 'method not allowed');

  const form = await readForm(req);
  if (!form.csrf || !safeEqual(form.csrf, session.csrf)) throw new HttpError(403, 'invalid_request', 'the form has expired; reload the dashboard');
  const { state } = deps;
  const owner = session.owner;
  let m: RegExpExecArray | null;
  if (path === '/dashboard/logout') {
    await deps.kv.del(`owner-session:${hash(sid)}`);
    return redirect(res, '/dashboard', { 'Set-Cookie': `${COOKIE}=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0` });
  }
  if (path === '/dashboard/reset' && deps.resetRecords) {
    // A PUT through Tessera changes a record for good: the owner puts the demo's story back.
    const count = await deps.resetRecords();
    return sendHtml(res, 200, page('Dashboard', overview(deps, session, undefined, `Your ${count} records are back as the demo tells them.`), BRAND));
  }
  if ((m = /^\/dashboard\/requests\/([\w-]+)$/.exec(path))) {
    const found = state.request(m[1] ?? '');
    if (!found || found.owner !== owner) throw new HttpError(404, 'not_found', 'no such request');
    if (found.status !== 'pending') return redirect(res, '/dashboard');
    const decision = form.decision === 'approve' ? 'approved' : form.decision === 'deny' ? 'denied' : undefined;
    if (!decision) throw new HttpError(400, 'invalid_request', 'decision must be approve or deny');
    // Decided in one transaction: a second submit (another tab, a double click) finds it decided.
    const request = await state.decideRequest(found.id, owner, decision);
    if (!request) return redirect(res, '/dashboard');
    deps.events?.publish('as', { kind: 'approval', side: 'owner', decision, requester: request.requester.name ?? request.requester.email ?? request.requester.sub, request: request.id, resource: { id: request.permissions[0]?.resource_id ?? '', name: state.resourceById(request.permissions[0]?.resource_id ?? '')?.name ?? '' }, scopes: [...new Set(request.permissions.flatMap((p) => p.resource_scopes))], rules: [] });
    await state.log({ owner, who: request.requester.email ?? request.requester.sub, client: request.clientName, resources: request.permissions.map((p) => state.resourceById(p.resource_id)?.name ?? p.resource_id), scopes: [...new Set(request.permissions.flatMap((p) => p.resource_scopes))], outcome: decision === 'approved' ? 'approved' : 'denied', detail: `decided by ${owner} in the dashboard` });
    return redirect(res, '/dashboard#requests');
  }
  if ((m = /^\/dashboard\/resources\/([\w-]+)\/rules$/.exec(path))) {
    const resource = state.resource(owner, m[1] ?? '');
    if (!resource) throw new HttpError(404, 'not_found', 'no such resource');
    const claim = form.claim === 'email' || form.claim === 'role' ? form.claim : undefined;
    const value = (form.value ?? '').trim();
    const scopes = resource.resource_scopes.filter((s) => form[`scope_${s}`] === 'on');
    if (!claim || !value || scopes.length === 0) return sendHtml(res, 400, page('Dashboard', overview(deps, session, 'A rule needs who (email or role), a value and at least one scope.'), BRAND));
    const key = state.policyKey(resource);
    const rules = state.policy(owner, key)?.rules ?? [];
    const rule: Rule = { id: randomBytes(6).toString('hex'), match: { claim, value }, issuer: deps.idpIssuer(), scopes, terms: form.terms === 'on', approval: form.approval === 'on' };
    const parsed = PolicySchema.safeParse({ rules: [...rules, rule] });
    if (!parsed.success) return sendHtml(res, 400, page('Dashboard', overview(deps, session, `The rule is not valid: ${parsed.error.issues[0]?.message ?? 'invalid'}`), BRAND));
    await state.savePolicy(owner, key, parsed.data);
    return redirect(res, `/dashboard#resource-${resource._id}`);
  }
  if ((m = /^\/dashboard\/resources\/([\w-]+)\/rules\/([\w-]+)\/delete$/.exec(path))) {
    const resource = state.resource(owner, m[1] ?? '');
    if (!resource) throw new HttpError(404, 'not_found', 'no such resource');
    const key = state.policyKey(resource);
    await state.savePolicy(owner, key, { rules: (state.policy(owner, key)?.rules ?? []).filter((r) => r.id !== m?.[2]) });
    return redirect(res, `/dashboard#resource-${resource._id}`);
  }
  if ((m = /^\/dashboard\/grants\/([\w-]+)\/revoke$/.exec(path))) {
    const rpt = state.rpts(owner).find((r) => r.id === m?.[1]);
    if (!rpt) throw new HttpError(404, 'not_found', 'no such grant');
    await state.revokeRptById(rpt.id);
    await state.log({ owner, who: rpt.requester?.email ?? rpt.requester?.sub ?? 'unidentified requesting party', client: rpt.clientId, resources: rpt.permissions.map((p) => state.resourceById(p.resource_id)?.name ?? p.resource_id), scopes: [...new Set(rpt.permissions.flatMap((p) => p.resource_scopes))], outcome: 'revoked', detail: `revoked by ${owner} in the dashboard` });
    return redirect(res, '/dashboard#grants');
  }
  if ((m = /^\/dashboard\/pcts\/([\w-]+)\/revoke$/.exec(path))) {
    const pct = state.pcts().find((p) => p.id === m?.[1]);
    if (!pct) throw new HttpError(404, 'not_found', 'no such persisted claims token');
    await state.revokePctById(pct.id);
    await state.log({ owner, who: pct.claims.email ?? pct.claims.sub, client: pct.clientId, resources: [], scopes: [], outcome: 'revoked', detail: 'persisted claims token revoked in the dashboard' });
    return redirect(res, '/dashboard#grants');
  }
  throw new HttpError(404, 'not_found', 'no such page');
}

function loginPage(error?: string): string {
  return page('Sign in', html`<div class="card"><h1>Resource owner sign-in</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/dashboard/login"><label for="login">Username</label><input id="login" name="login" type="text" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<p><button type="submit">Sign in</button></p></form><p class="muted">Demo owner: <code>kate</code> / <code>kate-demo</code></p></div>`, BRAND);
}

function describeRule(rule: Rule): string {
  const who = rule.match.claim === 'email' ? `the person whose verified email is ${rule.match.value}` : `anyone with role "${rule.match.value}"`;
  const extra = [rule.terms ? "after accepting the lab's terms" : '', rule.approval ? 'only with my approval each time' : ''].filter(Boolean).join(', ');
  return `${who} (from Hospital ID) may ${rule.scopes.join(' and ')}${extra ? `, ${extra}` : ''}`;
}

function overview(deps: DashboardDeps, session: OwnerSession, error?: string, done?: string): RawHtml {
  const { state } = deps;
  const owner = session.owner;
  const csrf = html`<input type="hidden" name="csrf" value="${session.csrf}">`;
  const resources = state.resources(owner);
  const requests = state.requests(owner);
  const pending = requests.filter((r) => r.status === 'pending');
  const name = (id: string) => state.resourceById(id)?.name ?? id;
  const rpts = state.rpts(owner);
  const pcts = state.pcts();
  const log = state.accessLog(owner, 50);
  return html`<div class="card"><h1>Welcome, ${owner === 'kate' ? 'Kate' : owner}</h1>
<form method="post" action="/dashboard/logout">${csrf}<button type="submit" class="secondary">Sign out</button></form>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}${done ? html`<p role="status">${done}</p>` : ''}
${deps.resetRecords ? html`<form method="post" action="/dashboard/reset">${csrf}<button type="submit" class="secondary">Reset my records to the demo's story</button> <span class="muted">(undoes changes written through Tessera)</span></form>` : ''}</div>
<section class="card" id="requests" aria-labelledby="h-requests"><h2 id="h-requests">Pending requests (${pending.length})</h2>
${pending.length === 0 ? html`<p class="muted">Nobody is waiting for your approval.</p>` : html`<table><thead><tr><th>Who</th><th>Through</th><th>Wants</th><th>Since</th><th>Decision</th></tr></thead><tbody>
${pending.map((r) => html`<tr data-request="${r.id}"><td>${r.requester.name ?? r.requester.sub} <span class="muted">${r.requester.email ?? ''} ${r.requester.role ?? ''}</span></td><td>${r.clientName}</td>
<td>${r.permissions.map((p) => `${name(p.resource_id)} (${p.resource_scopes.join(', ') || 'any scope'})`).join('; ')}</td><td>${when(r.createdAt)}</td>
<td><form method="post" action="/dashboard/requests/${r.id}">${csrf}<button type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="deny" class="secondary">Deny</button></form></td></tr>`)}
</tbody></table>`}</section>
<section class="card" aria-labelledby="h-resources"><h2 id="h-resources">My resources and who may access them</h2>
${resources.length === 0 ? html`<p class="muted">The resource server has not registered any resources yet.</p>` : ''}
${resources.map((r) => {
    const rules = state.policy(owner, state.policyKey(r))?.rules ?? [];
    return html`<div id="resource-${r._id}"><h3>${r.name ?? r._id}</h3><p class="muted">${r.description ?? ''} · scopes: ${r.resource_scopes.join(', ')} · id <code>${r._id}</code></p>
<ul>${rules.length === 0 ? html`<li class="muted">Nobody (no rules).</li>` : rules.map((rule) => html`<li>${describeRule(rule)} <form method="post" action="/dashboard/resources/${r._id}/rules/${rule.id}/delete" style="display:inline">${csrf}<button type="submit" class="secondary" aria-label="Remove rule: ${describeRule(rule)}">Remove</button></form></li>`)}</ul>
<details><summary>Add a rule</summary><form method="post" action="/dashboard/resources/${r._id}/rules">${csrf}
<label for="claim-${r._id}">Who</label><select id="claim-${r._id}" name="claim"><option value="role">Anyone with role</option><option value="email">The person with verified email</option></select>
<label for="value-${r._id}">Value (e.g. physician, or an email address)</label><input id="value-${r._id}" name="value" type="text" required>
<fieldset><legend>May</legend>${r.resource_scopes.map((s) => html`<label><input type="checkbox" name="scope_${s}" ${s === 'read' ? raw('checked') : ''}> ${s}</label>`)}</fieldset>
<label><input type="checkbox" name="terms"> only after accepting the lab's terms</label>
<label><input type="checkbox" name="approval"> only with my approval each time</label>
<p><button type="submit">Add rule</button></p></form></details></div>`;
  })}</section>
<section class="card" id="grants" aria-labelledby="h-grants"><h2 id="h-grants">Active grants</h2>
${rpts.length === 0 ? html`<p class="muted">No active access tokens.</p>` : html`<table><thead><tr><th>Who</th><th>Client</th><th>Permissions</th><th>Expires</th><th></th></tr></thead><tbody>
${rpts.map((t) => html`<tr><td>${t.requester?.name ?? t.requester?.sub ?? 'unidentified'} <span class="muted">${t.requester?.email ?? ''}</span></td><td>${t.clientId}</td><td>${t.permissions.map((p) => `${name(p.resource_id)}: ${p.resource_scopes.join(', ')}`).join('; ')}</td><td>${when(t.exp)}</td>
<td><form method="post" action="/dashboard/grants/${t.id}/revoke">${csrf}<button type="submit" class="secondary">Revoke</button></form></td></tr>`)}</tbody></table>`}
<h3>Remembered requesting parties (persisted claims tokens)</h3>
${pcts.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${pcts.map((p) => html`<li>${p.claims.name ?? p.claims.sub} (${p.claims.email ?? ''}${p.claims.terms_accepted_at ? ", accepted the lab's terms" : ''}) via ${p.clientId}, until ${when(p.exp)}
<form method="post" action="/dashboard/pcts/${p.id}/revoke" style="display:inline">${csrf}<button type="submit" class="secondary">Forget</button></form></li>`)}</ul>`}</section>
<section class="card" id="log" aria-labelledby="h-log"><h2 id="h-log">Access log</h2>
${log.length === 0 ? html`<p class="muted">Nothing yet.</p>` : html`<table><thead><tr><th>When</th><th>Who</th><th>Client</th><th>What</th><th>Outcome</th></tr></thead><tbody>
${log.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.who}</td><td>${e.client}</td><td>${e.resources.join(', ')}${e.scopes.length ? ` (${e.scopes.join(', ')})` : ''}</td><td>${e.outcome}${e.detail ? ` — ${e.detail}` : ''}</td></tr>`)}</tbody></table>`}</section>
<section class="card" aria-labelledby="h-earlier"><h2 id="h-earlier">Earlier decisions</h2>
${requests.filter((r) => r.status !== 'pending').length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${requests.filter((r) => r.status !== 'pending').slice(0, 20).map((r) => html`<li>${r.requester.email ?? r.requester.sub}: ${r.permissions.map((p) => name(p.resource_id)).join(', ')} — ${r.status}${r.decidedAt ? ` ${when(r.decidedAt)}` : ''}</li>`)}</ul>`}</section>`;
}

