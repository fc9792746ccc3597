/**
 * The app's service (what every face calls) against real servers: the demo's AS trusted and its
 * records bookmarked by default; an RS naming an unknown AS yields a warning and a deliberate trust
 * action; exports and views never carry a raw token.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { builtInDemoSetup } from '../../src/app/demo-setup';
import { TesseraService } from '../../src/app/service';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import { startDemo, type DemoHandle } from '../../src/demo';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';
import { parseTrace } from '../../src/app/trace-import';

let demo: DemoHandle;
let fx: Fixture;
let home: string;
let service: TesseraService;
const store = new MemoryStore();
const events: string[] = [];

beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 } });
  fx = await startFixture();
  home = await mkdtemp(join(tmpdir(), 'tessera-service-'));
  service = await TesseraService.create({ home, store, mode: 'browser', opener: async () => {}, demo: builtInDemoSetup(demo.config) });
  service.subscribe((e) => events.push(e.type));
});
afterAll(async () => {
  await service.close();
  await demo.close();
  await fx.close();
  await rm(home, { recursive: true, force: true });
});

async function finished(flowId: string): Promise<FlowView> {
  for (let i = 0; i < 200; i++) {
    const flow = (await service.getState()).flows.find((f) => f.flowId === flowId);
    if (flow && !flow.running) return flow;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('flow did not finish');
}

describe('TesseraService', () => {
  it("starts with Kate's records bookmarked, her AS trusted with Tessera's client, Hospital ID offered", async () => {
    const state = await service.getState();
    expect(state.resources.map((r) => r.title)).toEqual(demo.config.rs.resources.map((r) => r.title));
    expect(state.trusted).toMatchObject([{ issuer: demo.config.as.issuer, clientId: 'tessera', registration: 'static' }]);
    expect(state.providers[0]).toMatchObject({ issuer: demo.config.idp.issuer, clientId: 'tessera' });
    expect(JSON.stringify(state)).not.toContain('tessera-demo-secret');
  });

  it('an RS naming an untrusted AS: nothing sent, a warning, then a deliberate trust lets the flow through', async () => {
    const url = fx.rs('/r/bills');
    const { flowId } = await service.call('openResource', { url });
    const flow = await finished(flowId);
    expect(flow.outcome).toBe('untrusted_as');
    expect(flow.steps.every((s) => s.lane === 'rs')).toBe(true);
    expect((await service.getState()).untrustedSeen).toEqual([{ issuer: fx.asUri, rs: fx.rsOrigin }]);
    await expect(service.call('discovery', { issuer: fx.asUri })).rejects.toMatchObject({ code: 'untrusted_as' });
    const trusted = await service.call('trustAs', { issuer: fx.asUri });
    expect(trusted.untrustedSeen).toEqual([]);
    await store.put('client', storeKeys.client(fx.asUri), { client_id: 'tessera', client_secret: 'fixture-secret-123', auth_method: 'client_secret_basic', registration: 'static' }, { issuer: fx.asUri, clientId: 'tessera' });
    const again = await finished((await service.call('openResource', { url })).flowId);
    expect(again.outcome).toBe('granted');
    expect((await service.call('discovery', { issuer: fx.asUri })).document.issuer).toBe(fx.asUri);
    expect(events).toContain('flow');
  });

  it('views and exports carry fingerprints, never the RPT; reveal is the only way out', async () => {
    const state = await service.getState();
    const rpt = state.tokens.find((t) => t.kind === 'rpt' && t.issuer === fx.asUri);
    expect(rpt?.fingerprint).toMatch(/^fp:/);
    const { token } = await service.call('revealToken', { kind: 'rpt', key: rpt?.key ?? '', confirm: true });
    expect(token.length).toBeGreaterThan(10);
    const json = await service.call('exportTranscript', { format: 'json' });
    const har = await service.call('exportTranscript', { format: 'har' });
    for (const text of [JSON.stringify(state), json.text, har.text]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain('fixture-secret-123');
    }
    expect(JSON.parse(har.text).log.entries.length).toBeGreaterThan(0);
    // Its own export imports unchanged: the import's redaction (src/app/trace-import.ts) finds nothing left to redact.
    type Wire = { url: string; steps: { url: string; request: unknown; response?: unknown }[] };
    const wire = (flows: Wire[]) => flows.map((f) => ({ url: f.url, steps: f.steps.map((st) => ({ url: st.url, request: st.request, response: st.response })) }));
    expect(wire(parseTrace(json.text).flows as Wire[])).toEqual(wire((JSON.parse(json.text) as { flows: Wire[] }).flows));
  });

  it('forgets a token and untrusts an AS', async () => {
    const rpt = (await service.getState()).tokens.find((t) => t.kind === 'rpt');
    const after = await service.call('forgetToken', { kind: 'rpt', key: rpt?.key ?? '' });
    expect(after.tokens.some((t) => t.key === rpt?.key)).toBe(false);
    expect((await service.call('untrustAs', { issuer: fx.asUri })).trusted.some((t) => t.issuer === fx.asUri)).toBe(false);
  });

  it('rejects bad input at the contract', async () => {
    await expect(service.call('openResource', { url: 'file:///etc/passwd' })).rejects.toThrow();
    await expect(service.call('addResource', { url: 'http://example.com/x', title: 'plain http elsewhere' })).rejects.toMatchObject({ code: 'usage' });
  });
});
