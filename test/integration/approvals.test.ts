/**
 * Approvals that arrive by themselves, and history that survives a restart, against the demo's real
 * IdP, AS and RS: a pending request is watched by the core (no further call from the face); Kate's
 * approval in her dashboard ends it with the record and a `decided` event; closing the core and
 * starting a new one on the same home keeps history, theme and the still-pending request, which
 * then resolves by itself; nothing of a record is on disk in plaintext; Clear history forgets it.
 */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, FlowView } from '../../src/app/api';
import { TesseraService } from '../../src/app/service';
import { builtInDemoSetup } from '../../src/app/demo-setup';
import { startDemo, type DemoHandle } from '../../src/demo';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import { openVault, type Vault } from '../../src/vault';
import { ownerSession } from '../fixtures/demo-people';
import { formAction, HttpBrowser } from '../fixtures/http-browser';
import { startFixture } from '../fixtures/uma-fixture';

let demo: DemoHandle;
let home: string;
let vault: Vault;
let service: TesseraService;
const events: ApiEvent[] = [];
const notified: ApiEvent[] = [];
const NOTE = 'Mild ankle swelling in the evening';

/** Alice at her browser: signs in at Hospital ID and delivers the redirect to Tessera's loopback. */
async function opener(u: string): Promise<void> {
  const browser = new HttpBrowser();
  const redirect = new URL(u).searchParams.get('redirect_uri') ?? '';
  const back = (x: string) => x.startsWith(redirect);
  let page = await browser.open(u, back);
  if (!back(page.url)) page = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: 'alice', password: 'alice-demo' }, back);
  await (await fetch(page.url)).text();
}

async function start(): Promise<void> {
  vault = await openVault({ home, passphrase: 'approvals-test', backends: ['passphrase'], scryptCost: { N: 1024, r: 8, p: 1 } });
  service = await TesseraService.create({
    home, store: vault, mode: 'browser', opener,
    demo: builtInDemoSetup(demo.config),
    notify: (e) => notified.push(e),
  });
  service.subscribe((e) => events.push(e));
}
async function stop(): Promise<void> {
  await service.close();
  await vault.close();
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
const flowOf = async (flowId: string): Promise<FlowView | undefined> => (await service.getState()).flows.find((f) => f.flowId === flowId);
const careNotes = () => demo.config.rs.resources.find((r) => r.name === 'care-notes')?.url ?? '';

/** Opens care notes and waits until the core watches the pending request. */
async function pendingCareNotes(): Promise<FlowView> {
  // Kate approves each time: an RPT held from an earlier approval would simply be accepted.
  for (const t of (await service.getState()).tokens) if (t.kind === 'rpt') await service.call('forgetToken', { kind: 'rpt', key: t.key });
  const { flowId } = await service.call('openResource', { url: careNotes() });
  return until('a watched pending request', async () => { const f = await flowOf(flowId); return f?.outcome === 'pending' && f.pending?.watching ? f : undefined; });
}

beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
  home = await mkdtemp(join(tmpdir(), 'tessera-approvals-'));
  await start();
  await service.call('signIn', { issuer: demo.config.idp.issuer, clientId: demo.config.idp.tesseraClient.client_id, scope: 'openid email profile role offline_access' });
});
afterAll(async () => {
  await stop().catch(() => undefined);
  await demo.close();
  await rm(home, { recursive: true, force: true });
});

describe('approvals arrive by themselves', () => {
  let granted: FlowView;

  it('pending → Kate approves → a decided event, and the flow holds the record without another call', async () => {
    const pending = await pendingCareNotes();
    expect(pending.pending?.nextPollAt).toBeGreaterThan(Date.now() - 5000);
    const kate = await ownerSession(demo.config);
    await until('the request in Kate\'s dashboard', async () => (await kate.page()).includes('Dr. Alice Moreau'));
    await kate.decide('approve');
    const decided = await until('a decided event', () => events.find((e): e is Extract<ApiEvent, { type: 'decided' }> => e.type === 'decided' && e.flowId === pending.flowId));
    expect(decided).toMatchObject({ url: careNotes(), title: "Kate's care notes", outcome: 'granted' });
    granted = (await flowOf(pending.flowId))!;
    expect(granted.outcome).toBe('granted');
    expect(granted.body).toContain(NOTE);
    expect(granted.pending).toBeUndefined();
    // One flow on the timeline: its first request_submitted, then polls with the AS's new ticket —
    // the token endpoint straight away, not the RS first (UMA Grant §3.3.6) — then the record.
    const kinds = granted.steps.map((s) => `${s.kind}:${s.status}`);
    // resource:401, the RS's metadata (RFC 9728), the AS's discovery, token:403
    expect(kinds.slice(0, 4)).toEqual(['resource:401', 'discovery:200', 'discovery:200', 'token:403']);
    expect(kinds.at(-1)).toBe('resource:200');
    expect(kinds.filter((k) => k === 'resource:401')).toHaveLength(1);
    // Electron's notify port got the decision, with nothing secret in it.
    expect(notified).toHaveLength(1);
    expect(JSON.stringify(notified)).not.toMatch(/ticket|Bearer|eyJ/);
    expect(await vault.get('settings', 'approvals')).toBeUndefined();
  });

  it('a restart keeps history, theme and a still-pending request, which resolves after Kate approves', async () => {
    await service.call('setTheme', { theme: 'dark' });
    const pending = await pendingCareNotes();
    await stop();

    // At rest: the record text, the tickets and the tokens are nowhere in plaintext.
    const files = await readdir(home);
    expect(files).toContain('history.sealed.json');
    for (const name of files) {
      const text = await readFile(join(home, name), 'latin1');
      expect(text, name).not.toContain(NOTE);
      expect(text, name).not.toContain('Riverside');
      expect(text, name).not.toContain('care-notes');
    }

    events.length = 0;
    await start();
    const state = await service.getState();
    expect(state.theme).toBe('dark');
    expect(state.flows.find((f) => f.flowId === granted.flowId)?.body).toContain(NOTE);
    const restored = state.flows.find((f) => f.flowId === pending.flowId);
    expect(restored).toMatchObject({ outcome: 'pending', running: false, pending: { watching: true } });

    const kate = await ownerSession(demo.config);
    await until('the second request in the dashboard', async () => /action="\/dashboard\/requests\//.test(await kate.page()));
    await kate.decide('approve');
    await until('the decided event after the restart', () => events.find((e) => e.type === 'decided' && e.flowId === pending.flowId));
    const flow = await flowOf(pending.flowId);
    expect(flow?.outcome).toBe('granted');
    expect(flow?.body).toContain(NOTE);
    // The steps of the first run are still on the timeline, with the polls of this one after them.
    expect(flow?.steps[0]?.kind).toBe('resource');
    expect(flow?.steps.at(-1)?.status).toBe(200);
  });

  it('"Stop waiting" ends the watch; the vault forgets the request', async () => {
    const pending = await pendingCareNotes();
    expect(await vault.get('settings', 'approvals')).toBeDefined();
    await service.call('cancelFlow', { flowId: pending.flowId });
    const flow = await flowOf(pending.flowId);
    expect(flow).toMatchObject({ outcome: 'pending' });
    expect(flow?.pending?.watching).toBeUndefined();
    expect(await vault.get('settings', 'approvals')).toBeUndefined();
  });

  it("Kate's denial ends the watch with denied, said so in a decided event", async () => {
    const pending = await pendingCareNotes();
    const kate = await ownerSession(demo.config);
    await until('the request in the dashboard', async () => /action="\/dashboard\/requests\//.test(await kate.page()));
    await kate.decide('deny');
    const decided = await until('a decided event', () => events.find((e) => e.type === 'decided' && e.flowId === pending.flowId));
    expect(decided).toMatchObject({ outcome: 'denied' });
    expect(await flowOf(pending.flowId)).toMatchObject({ outcome: 'denied', running: false });
    expect(await vault.get('settings', 'approvals')).toBeUndefined();
  });

  it('Clear history forgets the flows, in memory and on disk', async () => {
    expect((await service.getState()).flows.length).toBeGreaterThan(2);
    const cleared = await service.call('clearHistory', { confirm: true });
    expect(cleared.flows).toEqual([]);
    await stop();
    await start();
    expect((await service.getState()).flows).toEqual([]);
    expect((await service.getState()).theme).toBe('dark');
  });
});

describe('an AS that returns no ticket with request_submitted (Keycloak)', () => {
  it('each check asks with the same ticket (Keycloak keeps it working) until the owner approves', async () => {
    const fx = await startFixture({ flavor: 'keycloak', policies: { albums: 'approval' } });
    const kcHome = await mkdtemp(join(tmpdir(), 'tessera-approvals-kc-'));
    const store = new MemoryStore();
    const kc = await TesseraService.create({ home: kcHome, store, mode: 'browser', opener: async () => {}, approvalPollSeconds: 1 });
    const seen: ApiEvent[] = [];
    kc.subscribe((e) => seen.push(e));
    try {
      await kc.call('trustAs', { issuer: fx.asUri });
      await store.put('client', storeKeys.client(fx.asUri), { client_id: 'tessera', client_secret: 'fixture-secret-123', auth_method: 'client_secret_basic', registration: 'static' }, { issuer: fx.asUri, clientId: 'tessera' });
      const { flowId } = await kc.call('openResource', { url: fx.rs('/r/albums') });
      const flowNow = async () => (await kc.getState()).flows.find((f) => f.flowId === flowId);
      await until('watching', async () => (await flowNow())?.pending?.watching);
      await until('two checks at the token endpoint', async () => fx.stats.token >= 3);
      fx.state.approved.add('albums');
      await until('decided', () => seen.find((e) => e.type === 'decided' && e.flowId === flowId && e.outcome === 'granted'));
      const flow = await flowNow();
      expect(flow?.outcome).toBe('granted');
      expect(flow?.steps.at(-1)).toMatchObject({ kind: 'resource', status: 200 });
      // One challenge from the RS; every check used the ticket it gave.
      expect(new Set(fx.stats.tokenBodies.map((b) => b.get('ticket'))).size).toBe(1);
      expect(fx.stats.rs).toBe(3); // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything
    } finally {
      await kc.close();
      await fx.close();
      await rm(kcHome, { recursive: true, force: true });
    }
  });
});
