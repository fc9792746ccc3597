/**
 * The Tokens screen's view of DPoP (RFC 9449) through the service, against the demo servers (the AS
 * binds the RPT: token_type DPoP, cnf.jkt): after a bound grant the held RPT says it is bound and to
 * which key (the public thumbprint only), the DPoP key held for (AS, party) is listed, a Bearer RPT
 * says Bearer, a record written before the meta said so is still read right, and signing the person
 * out forgets their key with their tokens. No view carries a token or a private key.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { TesseraService } from '../../src/app/service';
import { builtInDemoSetup } from '../../src/app/demo-setup';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import { DpopKeys } from '../../packages/uma/src/uma/dpop';
import type { RptValue } from '../../packages/uma/src/uma/rpt-cache';
import { startDemo, type DemoHandle } from '../../src/demo';
import { formAction, HttpBrowser } from '../fixtures/http-browser';

let demo: DemoHandle;
let home: string;
let service: TesseraService;
const store = new MemoryStore();
const browser = new HttpBrowser();

/** The system browser: Hospital ID's sign-in played through as Dr. Alice. */
async function opener(u: string): Promise<void> {
  if (new URL(u).origin !== new URL(demo.config.idp.issuer).origin) return;
  const redirect = new URL(u).searchParams.get('redirect_uri') ?? '';
  const back = (x: string) => x.startsWith(redirect);
  let page = await browser.open(u, back);
  if (!back(page.url)) page = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: 'alice', password: 'alice-demo' }, back);
  await (await fetch(page.url)).text();
}

const rx = () => demo.config.rs.resources.find((r) => r.title === "Kate's prescriptions")?.url ?? '';
const alice = () => `${demo.config.idp.issuer}#alice`;

async function finished(flowId: string): Promise<FlowView> {
  for (let i = 0; i < 300; i++) {
    const f = (await service.getState()).flows.find((x) => x.flowId === flowId);
    if (f && !f.running) return f;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('flow did not finish');
}
async function forgetRpts(): Promise<void> {
  for (const t of (await service.getState()).tokens.filter((x) => x.kind === 'rpt')) await service.call('forgetToken', { kind: 'rpt', key: t.key });
}

beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, introspectionCacheMs: 0 });
  home = await mkdtemp(join(tmpdir(), 'tessera-service-dpop-held-'));
  service = await TesseraService.create({ home, store, mode: 'browser', opener, demo: builtInDemoSetup(demo.config) });
  await service.call('signIn', { issuer: demo.config.idp.issuer, clientId: 'tessera', scope: 'openid email profile role offline_access' });
});
afterAll(async () => {
  await service?.close();
  await demo?.close();
  await rm(home, { recursive: true, force: true });
});

describe('held RPTs and DPoP keys as the Tokens screen gets them', () => {
  it('after a bound demo grant: the RPT is DPoP-bound to the key held for (AS, Dr. Alice), thumbprints only', async () => {
    expect((await service.getState()).actingAs.party).toBe(alice());
    const flow = await finished((await service.call('openResource', { url: rx() })).flowId);
    expect(flow.outcome).toBe('granted');
    const key = await new DpopKeys(store).existing(demo.config.as.issuer, alice());
    expect(key).toBeDefined();
    // The same key the flow's token request proved (what the diagram's DPoP chip names).
    expect(flow.steps.find((s) => s.kind === 'token')?.dpop?.jkt).toBe(key!.jkt);

    const state = await service.getState();
    expect(state.tokens.filter((t) => t.kind === 'rpt')).toEqual([expect.objectContaining({ issuer: demo.config.as.issuer, rsOrigin: new URL(rx()).origin, identity: alice(), scheme: 'DPoP', dpopJkt: key!.jkt })]);
    expect(state.dpopKeys).toEqual([{ issuer: demo.config.as.issuer, party: alice(), jkt: key!.jkt }]);

    // Never the token, never the private key.
    const [meta] = await store.list('rpt');
    const held = (await store.get<RptValue>('rpt', meta!.key))!.value;
    const dpopRecord = (await store.get<{ privateJwk: { d: string } }>('dpop', storeKeys.dpop(demo.config.as.issuer, alice())))!.value;
    const all = JSON.stringify(state);
    expect(all).not.toContain(held.access_token);
    expect(all).not.toContain(dpopRecord.privateJwk.d);
  });

  it('a record written before the meta said how it is presented is read from the record: bound or Bearer', async () => {
    const jkt = 'A'.repeat(43);
    // As the DPoP work wrote them: the binding in the value only, no token type in the meta.
    await store.put<RptValue>('rpt', storeKeys.rpt(demo.config.as.issuer, 'http://127.0.0.1:1', alice()), { access_token: 'old-bound-rpt', token_type: 'DPoP', dpop_jkt: jkt }, { issuer: demo.config.as.issuer, rsOrigin: 'http://127.0.0.1:1', identity: alice(), fingerprint: 'fp:old1' });
    await store.put<RptValue>('rpt', storeKeys.rpt(demo.config.as.issuer, 'http://127.0.0.1:2', alice()), { access_token: 'old-bearer-rpt', token_type: 'Bearer' }, { issuer: demo.config.as.issuer, rsOrigin: 'http://127.0.0.1:2', identity: alice(), fingerprint: 'fp:old2' });
    const tokens = (await service.getState()).tokens;
    expect(tokens.find((t) => t.rsOrigin === 'http://127.0.0.1:1')).toMatchObject({ scheme: 'DPoP', dpopJkt: jkt });
    expect(tokens.find((t) => t.rsOrigin === 'http://127.0.0.1:2')).toMatchObject({ scheme: 'Bearer' });
    expect(tokens.find((t) => t.rsOrigin === 'http://127.0.0.1:2')).not.toHaveProperty('dpopJkt');
    expect(JSON.stringify(tokens)).not.toMatch(/old-(bound|bearer)-rpt/);
    await store.delete('rpt', storeKeys.rpt(demo.config.as.issuer, 'http://127.0.0.1:1', alice()));
    await store.delete('rpt', storeKeys.rpt(demo.config.as.issuer, 'http://127.0.0.1:2', alice()));
  });

  it('with DPoP off at the AS the next RPT is Bearer; forgetting an RPT keeps the key', async () => {
    await service.call('setAsDpop', { issuer: demo.config.as.issuer, dpop: 'off' });
    await forgetRpts();
    expect((await service.getState()).dpopKeys).toHaveLength(1);
    const flow = await finished((await service.call('openResource', { url: rx() })).flowId);
    expect(flow.outcome).toBe('granted');
    const [rpt] = (await service.getState()).tokens.filter((t) => t.kind === 'rpt');
    expect(rpt).toMatchObject({ scheme: 'Bearer' });
    expect(rpt).not.toHaveProperty('dpopJkt');
    await service.call('setAsDpop', { issuer: demo.config.as.issuer, dpop: 'auto' });
  });

  it('signing Dr. Alice out forgets her DPoP key with her tokens', async () => {
    const state = await service.call('signOut', { key: alice() });
    expect(state.dpopKeys).toEqual([]);
    expect(state.tokens.filter((t) => t.identity === alice())).toEqual([]);
    expect(await store.list('dpop')).toEqual([]);
  });
});
