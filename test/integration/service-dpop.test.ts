/**
 * The app's per-AS DPoP switch (RFC 9449) end to end through the service, against a strict DPoP
 * AS/RS on 127.0.0.1 (test/fixtures/dpop-server.ts, which verifies every proof with jose): the
 * switch is validated at the API boundary, saved in config.json, survives a restart of the
 * service, and reaches the engine — Never sends no proof, Automatic binds the RPT — and the views
 * carry each proof decoded (key thumbprint, claims, `ath` as a fingerprint), never a proof or a token.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiInputError, parseCall, type FlowView } from '../../src/app/api';
import { dpopProofView, TesseraService } from '../../src/app/service';
import { loadConfig } from '../../src/app/config';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { startDpopServer, type DpopServer } from '../fixtures/dpop-server';

let server: DpopServer;
let home: string;
let service: TesseraService;
const store = new MemoryStore();
const JWS = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

beforeAll(async () => {
  server = await startDpopServer({ advertise: ['ES256'] });
  home = await mkdtemp(join(tmpdir(), 'tessera-service-dpop-'));
  service = await TesseraService.create({ home, store, mode: 'browser', opener: async () => {} });
});
afterAll(async () => {
  await service.close();
  await server.close();
  await rm(home, { recursive: true, force: true });
});

async function finished(s: TesseraService, flowId: string): Promise<FlowView> {
  for (let i = 0; i < 200; i++) {
    const flow = (await s.getState()).flows.find((f) => f.flowId === flowId);
    if (flow && !flow.running) return flow;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('flow did not finish');
}

async function forgetRpts(): Promise<void> {
  for (const t of (await service.getState()).tokens.filter((x) => x.kind === 'rpt')) await service.call('forgetToken', { kind: 'rpt', key: t.key });
}

describe('the per-AS DPoP switch in the app', () => {
  it('Add an AS with Never: saved in config.json, the check shows what the AS advertises, and a flow sends no proof (a Bearer RPT)', async () => {
    const added = await service.call('addAs', { issuer: server.asUri, authMethod: 'client_secret_basic', clientId: 'tessera', clientSecret: 'dpop-secret-123', dpop: 'off' });
    expect(added.check).toMatchObject({ source: 'discovery', dpopAlgs: ['ES256'] });
    expect(added.trusted).toMatchObject([{ issuer: server.asUri, dpop: 'off', dpopAlgs: ['ES256'], dpopUsable: true }]);
    expect((await loadConfig(home)).trust.authorizationServers[0]?.dpop).toBe('off');

    const flow = await finished(service, (await service.call('openResource', { url: server.url('/r/never') })).flowId);
    expect(flow.outcome).toBe('granted');
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.tokenRequests[0]?.proof).toBeUndefined();
    expect(server.rsRequests.at(-1)).toMatchObject({ scheme: 'Bearer', status: 200 });
    expect(flow.steps.some((s) => s.dpop)).toBe(false);
    expect(flow.steps.some((s) => Object.keys(s.request.headers).some((h) => h.toLowerCase() === 'dpop'))).toBe(false);
  });

  it('refuses a switch that is not auto/on/off, and an AS that is not trusted, leaving config.json as it was', async () => {
    const before = await readFile(join(home, 'config.json'), 'utf8');
    // The IPC handler and the browser-mode host check every call with parseCall; the service checks again.
    for (const bad of [{ issuer: server.asUri, dpop: 'sometimes' }, { issuer: server.asUri, dpop: 'off', extra: 1 }, { issuer: 'javascript:alert(1)', dpop: 'off' }, { issuer: server.asUri, dpop: ['on'] }, { issuer: server.asUri }]) {
      expect(() => parseCall('setAsDpop', bad)).toThrow(ApiInputError);
      await expect(service.call('setAsDpop', bad)).rejects.toThrow();
    }
    expect(() => parseCall('addAs', { issuer: server.asUri, authMethod: 'none', clientId: 'x', dpop: 'always' })).toThrow(/dpop/);
    await expect(service.call('setAsDpop', { issuer: 'http://127.0.0.1:1/other', dpop: 'on' })).rejects.toMatchObject({ code: 'untrusted_as' });
    expect(await readFile(join(home, 'config.json'), 'utf8')).toBe(before);
  });

  it('switched to Automatic: the next grant sends a proof, the RPT is bound, and each bound request shows its proof decoded', async () => {
    const state = await service.call('setAsDpop', { issuer: server.asUri, dpop: 'auto' });
    expect(state.trusted[0]?.dpop).toBe('auto');
    // `auto` is the default: written as no entry, as the CLI reads it.
    expect((await loadConfig(home)).trust.authorizationServers[0]).not.toHaveProperty('dpop');
    await forgetRpts();

    const flow = await finished(service, (await service.call('openResource', { url: server.url('/r/auto') })).flowId);
    expect(flow.outcome).toBe('granted');
    const proof = server.tokenRequests.at(-1)?.proof;
    expect(proof).toBeDefined();
    expect(server.rsRequests.at(-1)).toMatchObject({ scheme: 'DPoP', status: 200 });

    const token = flow.steps.find((s) => s.kind === 'token');
    expect(token?.dpop).toMatchObject({ jkt: proof?.jkt, header: { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } }, claims: { htm: 'POST', htu: server.url('/token') } });
    expect(token?.dpop?.header.jwk).not.toHaveProperty('d');
    expect(typeof token?.dpop?.claims.jti).toBe('string');
    expect(typeof token?.dpop?.claims.iat).toBe('number');
    expect(JSON.parse(token?.response?.body ?? '{}').token_type).toBe('DPoP');
    const bound = flow.steps.filter((s) => s.lane === 'rs' && s.dpop);
    expect(bound.length).toBeGreaterThan(0);
    expect(bound.at(-1)?.request.headers.authorization).toMatch(/^DPoP \[redacted fp:/);
    expect(bound.at(-1)?.dpop?.claims.ath).toMatch(/^fp:/);
    expect(bound.at(-1)?.dpop?.jkt).toBe(proof?.jkt);

    // No proof (a JWS) and no RPT anywhere in what a face gets.
    const all = JSON.stringify(await service.getState());
    expect(all).not.toMatch(JWS);
    for (const rpt of server.rpts.keys()) expect(all).not.toContain(rpt);
  });

  it('Always / Never persist across a restart of the app and reach the engine of the new service', async () => {
    await service.call('setAsDpop', { issuer: server.asUri, dpop: 'off' });
    await forgetRpts();
    const again = await TesseraService.create({ home, store, mode: 'browser', opener: async () => {} });
    try {
      expect((await again.getState()).trusted[0]).toMatchObject({ dpop: 'off' });
      // A new run has not read the AS's metadata yet: Connections says it does not know.
      expect((await again.getState()).trusted[0]).not.toHaveProperty('dpopAlgs');
      const count = server.tokenRequests.length;
      const flow = await finished(again, (await again.call('openResource', { url: server.url('/r/after-restart') })).flowId);
      expect(flow.outcome).toBe('granted');
      expect(server.tokenRequests.slice(count).every((r) => r.proof === undefined)).toBe(true);
      expect(server.rsRequests.at(-1)?.scheme).toBe('Bearer');
      // The flow's discovery told it what the AS advertises.
      expect((await again.getState()).trusted[0]).toMatchObject({ dpopAlgs: ['ES256'], dpopUsable: true });
    } finally {
      await again.close();
    }
  });

  it('Always at an AS that does not advertise DPoP: the grant carries a proof, and a Bearer answer is refused (dpop_not_bound, the AS in facts)', async () => {
    const plain = await startDpopServer({ bind: false });
    try {
      await service.call('addAs', { issuer: plain.asUri, authMethod: 'none', clientId: 'tessera', dpop: 'on' });
      expect((await service.getState()).trusted.find((t) => t.issuer === plain.asUri)).toMatchObject({ dpop: 'on', dpopAlgs: [] });
      const flow = await finished(service, (await service.call('openResource', { url: plain.url('/r/always') })).flowId);
      expect(plain.tokenRequests[0]?.proof).toBeDefined();
      expect(flow.outcome).toBe('error');
      expect(flow.error).toMatchObject({ code: 'dpop_not_bound', facts: { asIssuer: plain.asUri } });
      expect(plain.rsRequests.filter((r) => r.scheme)).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('a proof as the renderer gets it: only the members RFC 9449 names, bounded, a public key only', () => {
    const view = dpopProofView({
      header: { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'x'.repeat(5000), y: 'y', d: 'private' }, extra: { deep: [1] } },
      claims: { htm: 'GET', htu: `https://rs.example/${'a'.repeat(10_000)}`, iat: Number.POSITIVE_INFINITY, jti: 7 as unknown as string, nonce: 'n', ath: 'fp:abc', other: 'x' },
      jkt: 'k'.repeat(500),
    });
    expect(Object.keys(view.header).sort()).toEqual(['alg', 'jwk', 'typ']);
    expect(view.header.jwk).not.toHaveProperty('d');
    expect(view.header.jwk?.x).toHaveLength(1024);
    expect(Object.keys(view.claims).sort()).toEqual(['ath', 'htm', 'htu', 'nonce']);
    expect(view.claims.htu).toHaveLength(2048);
    expect(view.jkt).toHaveLength(64);
  });
});
