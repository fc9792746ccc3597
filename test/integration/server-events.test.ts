/**
 * Both sides of the wire (issue #23): the demo AS and RS publish their side of each exchange as event
 * streams (loopback, the demo's secret, fingerprints with Tessera's key), the core follows them and
 * correlates them into the flow: the RS's permission request and introspection with the same ticket
 * and RPT fingerprints as the client's exchanges, the AS's decision naming the rule and the claim (and
 * for a refusal the rule that did not match), Kate's approval in the owner lane.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { startCore, type Core } from '../../src/app/compose';
import { formAction, HttpBrowser } from '../fixtures/http-browser';
import { ownerSession } from '../fixtures/demo-people';

let core: Core;
let home: string;

async function opener(u: string): Promise<void> {
  const browser = new HttpBrowser();
  const redirect = new URL(u).searchParams.get('redirect_uri') ?? '';
  const back = (x: string) => x.startsWith(redirect);
  let page = await browser.open(u, back);
  if (!back(page.url)) page = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: 'alice', password: 'alice-demo' }, back);
  await (await fetch(page.url)).text();
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const flowOf = async (flowId: string): Promise<FlowView | undefined> => (await core.service.getState()).flows.find((f) => f.flowId === flowId);
const url = (name: string) => core.demo?.rs.resources.find((r) => r.name === name)?.url ?? '';
/** Opens a record and waits until the flow is done and the servers' events for it have arrived. */
async function open(name: string, until_: (f: FlowView) => boolean): Promise<FlowView> {
  const { flowId } = await core.service.call('openResource', { url: url(name) });
  return until(`the ${name} flow with its server side`, async () => { const f = await flowOf(flowId); return f && !f.running && until_(f) ? f : undefined; });
}
const fps = (flow: FlowView) => new Set(JSON.stringify(flow.steps).match(/fp:[A-Za-z0-9_-]{10}/g) ?? []);

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'tessera-server-events-'));
  core = await startCore({ env: { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'server-events-test' }, mode: 'browser', opener, demo: { memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1 } });
  const demo = core.demo!;
  await core.service.call('signIn', { issuer: demo.idp.issuer, clientId: demo.idp.tesseraClient.client_id, scope: 'openid email profile role offline_access' });
});
afterAll(async () => {
  // The service refreshes its state once more after a watched request ends (not awaited there).
  await new Promise((r) => setTimeout(r, 300));
  await core?.close();
  await rm(home, { recursive: true, force: true });
});

describe('the servers\' side of each exchange', () => {
  it('the event streams answer only with the demo\'s secret, as SSE', async () => {
    const events = core.demo!.events!;
    expect((await fetch(events.rs)).status).toBe(401);
    expect((await fetch(events.as, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(events.as, { headers: { authorization: `Bearer ${events.secret}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await ok.body?.cancel();
  });

  it("Alice opens prescriptions: the RS's permission request and introspection, the AS's decision naming the rule and the claim", async () => {
    // Twice: the second GET presents the RPT, so the RS introspects it.
    await open('prescriptions', (f) => f.outcome === 'granted');
    const flow = await open('prescriptions', (f) => (f.server?.events.length ?? 0) > 0);
    const first = await until('the first flow with a decision', async () => { const f = (await core.service.getState()).flows.filter((x) => x.url === url('prescriptions')).at(-1); return f?.server?.events.some((e) => e.kind === 'decision') ? f : undefined; });
    expect(first.server?.visible).toBe(true);
    const kinds = first.server!.events.map((e) => `${e.side}:${e.kind}`);
    expect(kinds[0]).toBe('rs:registration');
    expect(kinds).toContain('rs:permission');
    const permission = first.server!.events.find((e) => e.kind === 'permission')!;
    const ticket = permission.tokens.find((t) => t.role === 'ticket')!.fingerprint;
    const pat = permission.tokens.find((t) => t.role === 'pat')!.fingerprint;
    // The same ticket on the client's side: the RS's 401 carried it.
    expect(fps(first).has(ticket)).toBe(true);
    expect(fps(first).has(pat)).toBe(false);
    const decision = first.server!.events.find((e) => e.kind === 'decision')!;
    expect(decision).toMatchObject({ side: 'as', outcome: 'granted', claims: { source: 'id_token', values: { role: 'physician' } }, requester: 'Dr. Alice Moreau' });
    expect(decision.rules).toEqual([expect.objectContaining({ id: 'physicians', claim: 'role', value: 'physician', matched: true })]);
    const rpt = decision.tokens.find((t) => t.role === 'rpt')!.fingerprint;
    expect(fps(first).has(rpt)).toBe(true);
    // The second flow sends the RPT: the RS introspects it (the same fingerprint).
    const seen = flow.server!.events.find((e) => e.kind === 'introspection');
    expect(seen).toMatchObject({ side: 'rs', active: true });
    expect(seen?.tokens.find((t) => t.role === 'rpt')?.fingerprint).toBe(rpt);
  });

  it('a refusal names the rule that did not match, with the claim the party had', async () => {
    const flow = await open('bills', (f) => f.server?.events.some((e) => e.kind === 'decision') ?? false);
    expect(flow.outcome).toBe('denied');
    const decision = flow.server!.events.find((e) => e.kind === 'decision')!;
    expect(decision.outcome).toBe('denied');
    expect(decision.rules).toEqual([expect.objectContaining({ id: 'insurer', claim: 'role', value: 'insurer', matched: false, saw: 'physician' })]);
  });

  it("a pending request shows Kate's approval in the owner lane, then the grant", async () => {
    const { flowId } = await core.service.call('openResource', { url: url('care-notes') });
    await until('a watched pending request', async () => { const f = await flowOf(flowId); return f?.outcome === 'pending' && f.pending?.watching ? f : undefined; });
    const kate = await ownerSession(core.demo!);
    await until("the request in Kate's dashboard", async () => (await kate.page()).includes('Dr. Alice Moreau'));
    await kate.decide('approve');
    const flow = await until('the approval in the flow', async () => { const f = await flowOf(flowId); return f?.outcome === 'granted' && f.server?.events.some((e) => e.kind === 'decision' && e.outcome === 'granted') ? f : undefined; });
    const order = flow.server!.events.filter((e) => e.kind !== 'registration').map((e) => `${e.side}:${e.kind}:${e.outcome ?? e.decision ?? ''}`);
    const approval = order.indexOf('owner:approval:approved');
    expect(approval).toBeGreaterThan(order.indexOf('as:decision:request_submitted'));
    expect(order.indexOf('as:decision:granted')).toBeGreaterThan(approval);
    expect(flow.server!.events.find((e) => e.kind === 'approval')).toMatchObject({ requester: 'Dr. Alice Moreau', resource: { name: 'care-notes' } });
  });

  it('no token value in any event: fingerprints only', async () => {
    const all = JSON.stringify((await core.service.getState()).flows.map((f) => f.server));
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\./);
    for (const m of all.matchAll(/"fingerprint":"([^"]+)"/g)) expect(m[1]).toMatch(/^fp:[A-Za-z0-9_-]{10}$/);
    expect(all).not.toContain(core.demo!.events!.secret);
  });
});
