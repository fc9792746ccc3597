/**
 * DPoP-bound RPTs on the client side (RFC 9449), against a strict AS/RS on 127.0.0.1 that verifies
 * every proof with jose: proofs on the grant and the refresh, nonces at the AS and the RS, bound
 * RPTs presented as `DPoP` with `ath`, Bearer kept Bearer, the per-AS switch, the CLI flags, and
 * what the transcript keeps of a proof.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import type { AsConfig } from '../../packages/uma/src/kernel/trust';
import { createAgent } from '../../packages/uma/src/uma/agent';
import type { RptValue } from '../../packages/uma/src/uma/rpt-cache';
import { cliRunner } from '../fixtures/cli-run';
import { startDpopServer, type DpopServer, type DpopServerOptions } from '../fixtures/dpop-server';

const servers: DpopServer[] = [];
const homes: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(homes.splice(0).map((h) => rm(h, { recursive: true, force: true })));
});

async function setup(options: DpopServerOptions, config: Partial<AsConfig> = {}) {
  const server = await startDpopServer(options);
  servers.push(server);
  const store = new MemoryStore();
  let clock = Date.now();
  const agent = createAgent({
    store,
    trust: { authorizationServers: [{ issuer: server.asUri, ...config }] },
    defaultClient: { clientId: 'tessera', clientSecret: 'dpop-secret-123' },
    party: 'https://idp.example#alice',
    now: () => clock,
    limits: { retryBaseMs: 1 },
  });
  return { server, store, agent, advance: (ms: number) => void (clock += ms) };
}

const JWS = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

describe('DPoP-bound RPTs (RFC 9449)', () => {
  it('sends a proof with the grant where the AS advertises ES256, keeps the RPT bound, and presents it as DPoP with ath', async () => {
    const { server, store, agent } = await setup({ advertise: ['ES256'] });
    const first = await agent.fetch(server.url('/r/prescriptions'));
    expect(first.outcome).toBe('granted');
    expect(JSON.parse(first.body)).toEqual({ resource: 'prescriptions', bound: true });
    const proof = server.tokenRequests[0]?.proof;
    expect(proof?.htm).toBe('POST');
    expect(proof?.htu).toBe(server.url('/token'));
    const [rptMeta] = await store.list('rpt');
    const rpt = await store.get<RptValue>('rpt', rptMeta!.key);
    expect(rpt?.value.token_type).toBe('DPoP');
    expect(rpt?.value.dpop_jkt).toBe(proof?.jkt);
    expect(server.rpts.get(rpt!.value.access_token)).toBe(proof?.jkt);
    const rs = server.rsRequests.at(-1);
    expect(rs).toMatchObject({ scheme: 'DPoP', status: 200, proof: { jkt: proof?.jkt, htm: 'GET', htu: server.url('/r/prescriptions') } });
    expect(typeof rs?.proof?.ath).toBe('string');

    // Held: one exchange, still DPoP, a fresh proof of the same key.
    const second = await agent.fetch(server.url('/r/prescriptions'));
    expect(second.outcome).toBe('granted');
    expect(second.access).toBe('held');
    expect(second.steps).toHaveLength(1);
    expect(server.rsRequests.at(-1)).toMatchObject({ scheme: 'DPoP', status: 200, proof: { jkt: proof?.jkt } });
  });

  it('records each proof decoded (header with the public JWK, claims, jkt; ath as a fingerprint), never the proof or the private key', async () => {
    const { server, store, agent } = await setup({ advertise: ['ES256'] });
    const result = await agent.fetch(server.url('/r/prescriptions'));
    const token = result.steps.find((s) => s.kind === 'token');
    const jkt = server.tokenRequests[0]?.proof?.jkt;
    expect(token?.dpop).toMatchObject({ header: { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } }, claims: { htm: 'POST', htu: server.url('/token') }, jkt });
    expect(token?.dpop?.header.jwk).not.toHaveProperty('d');
    expect(typeof token?.dpop?.claims.jti).toBe('string');
    expect(typeof token?.dpop?.claims.iat).toBe('number');
    const resource = result.steps.at(-1);
    expect(resource?.dpop?.claims.ath).toMatch(/^fp:/);
    expect(resource?.dpop?.jkt).toBe(jkt);
    expect(resource?.request.headers.authorization).toMatch(/^DPoP \[redacted fp:/);
    const text = JSON.stringify(result.steps);
    // No compact JWS at all (the proofs are the only JWSs of this flow), no raw ath, no private key.
    expect(text.match(JWS)).toBeNull();
    expect(text).not.toContain(String(server.rsRequests.at(-1)?.proof?.ath));
    const [keyMeta] = await store.list('dpop');
    const key = await store.get<{ privateJwk: { d: string } }>('dpop', keyMeta!.key);
    expect(text).not.toContain(key!.value.privateJwk.d);
    expect(JSON.stringify(keyMeta)).not.toContain(key!.value.privateJwk.d);
    for (const rpt of server.rpts.keys()) expect(text).not.toContain(rpt);
  });

  it('retries the grant once with the nonce when the AS answers use_dpop_nonce', async () => {
    const { server, agent } = await setup({ advertise: ['ES256'], asNonce: true });
    const result = await agent.fetch(server.url('/r/prescriptions'));
    expect(result.outcome).toBe('granted');
    expect(server.tokenRequests.map((r) => r.error ?? 'ok')).toEqual(['use_dpop_nonce', 'ok']);
    expect(server.tokenRequests[0]?.proof?.nonce).toBeUndefined();
    expect(server.tokenRequests[1]?.proof?.nonce).toMatch(/^as-nonce-/);
    expect(result.steps.filter((s) => s.kind === 'token').map((s) => s.status)).toEqual([400, 200]);
    expect(result.steps.find((s) => s.kind === 'token')?.note).toContain('use_dpop_nonce');
  });

  it('retries the resource once with the nonce when the RS answers WWW-Authenticate: DPoP error="use_dpop_nonce"', async () => {
    const { server, agent } = await setup({ advertise: ['ES256'], rsNonce: true });
    const result = await agent.fetch(server.url('/r/prescriptions'));
    expect(result.outcome).toBe('granted');
    expect(server.rsRequests.map((r) => `${r.scheme ?? '-'}:${r.status}`)).toEqual(['-:401', 'DPoP:401', 'DPoP:200']);
    expect(server.rsRequests[1]?.proof?.nonce).toBeUndefined();
    expect(server.rsRequests[2]?.proof?.nonce).toMatch(/^rs-nonce-/);
  });

  it('keeps a Bearer RPT Bearer when the AS does not bind it', async () => {
    const { server, store, agent } = await setup({ advertise: ['ES256'], bind: false });
    const result = await agent.fetch(server.url('/r/prescriptions'));
    expect(result.outcome).toBe('granted');
    expect(server.tokenRequests[0]?.proof).toBeDefined();
    expect(server.rsRequests.at(-1)).toMatchObject({ scheme: 'Bearer', status: 200 });
    expect(server.rsRequests.at(-1)?.proof).toBeUndefined();
    expect(result.steps.at(-1)?.dpop).toBeUndefined();
    const [meta] = await store.list('rpt');
    expect((await store.get<RptValue>('rpt', meta!.key))?.value.dpop_jkt).toBeUndefined();
    expect(result.steps.find((s) => s.kind === 'token')?.note).toContain('not bound');
  });

  it('sends no proof to an AS that does not advertise DPoP (auto), nor with "dpop": "off"', async () => {
    const quiet = await setup({});
    expect((await quiet.agent.fetch(quiet.server.url('/r/a'))).outcome).toBe('granted');
    expect(quiet.server.tokenRequests[0]?.proof).toBeUndefined();
    expect(await quiet.store.list('dpop')).toHaveLength(0);
    const off = await setup({ advertise: ['ES256'] }, { dpop: 'off' });
    expect((await off.agent.fetch(off.server.url('/r/a'))).outcome).toBe('granted');
    expect(off.server.tokenRequests[0]?.proof).toBeUndefined();
    expect(off.server.rsRequests.at(-1)?.scheme).toBe('Bearer');
  });

  it('"dpop": "on" sends a proof to an AS that does not advertise it, and refuses a Bearer answer (dpop_not_bound)', async () => {
    const on = await setup({}, { dpop: 'on' });
    expect((await on.agent.fetch(on.server.url('/r/a'))).outcome).toBe('granted');
    expect(on.server.tokenRequests[0]?.proof).toBeDefined();
    expect(on.server.rsRequests.at(-1)?.scheme).toBe('DPoP');

    const ignoring = await setup({ advertise: ['ES256'], bind: false }, { dpop: 'on' });
    const result = await ignoring.agent.fetch(ignoring.server.url('/r/a'));
    expect(result.outcome).toBe('error');
    expect(result.error).toMatchObject({ code: 'dpop_not_bound', facts: { asIssuer: ignoring.server.asUri } });
    expect(result.error?.hint).not.toContain('--');
    expect(await ignoring.store.list('rpt')).toHaveLength(0);
  });

  it('"dpop": "on" at an AS that advertises only algorithms Tessera cannot sign with: dpop_unsupported, nothing sent to the token endpoint', async () => {
    const { server, agent } = await setup({ advertise: ['PS384'] }, { dpop: 'on' });
    const result = await agent.fetch(server.url('/r/a'));
    expect(result.error?.code).toBe('dpop_unsupported');
    expect(server.tokenRequests).toHaveLength(0);
  });

  it('refreshes a bound RPT with a proof of the same key, and the new RPT stays bound', async () => {
    const { server, store, agent, advance } = await setup({ advertise: ['ES256'], refresh: true });
    expect((await agent.fetch(server.url('/r/a'))).outcome).toBe('granted');
    const jkt = server.tokenRequests[0]?.proof?.jkt;
    advance(60_000);
    const again = await agent.fetch(server.url('/r/a'));
    expect(again.outcome).toBe('granted');
    expect(server.tokenRequests[1]).toMatchObject({ grantType: 'refresh_token', proof: { jkt } });
    const [meta] = await store.list('rpt');
    expect((await store.get<RptValue>('rpt', meta!.key))?.value).toMatchObject({ token_type: 'DPoP', dpop_jkt: jkt });
    expect(server.rsRequests.at(-1)).toMatchObject({ scheme: 'DPoP', status: 200, proof: { jkt } });
  });

  it('does not present a bound RPT whose key is gone (it would be refused): a new grant with a new key', async () => {
    const { server, store, agent } = await setup({ advertise: ['ES256'] });
    await agent.fetch(server.url('/r/a'));
    const [keyMeta] = await store.list('dpop');
    await store.delete('dpop', keyMeta!.key);
    const result = await agent.fetch(server.url('/r/a'));
    expect(result.outcome).toBe('granted');
    expect(server.rsRequests.map((r) => r.scheme ?? '-')).toEqual(['-', 'DPoP', '-', 'DPoP']);
    expect(server.tokenRequests[1]?.proof?.jkt).not.toBe(server.tokenRequests[0]?.proof?.jkt);
  });
});

describe('tessera fetch --dpop / --no-dpop', () => {
  async function cli(options: DpopServerOptions) {
    const server = await startDpopServer(options);
    servers.push(server);
    const home = await mkdtemp(join(tmpdir(), 'tessera-dpop-'));
    homes.push(home);
    const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
    const base = ['fetch', server.url('/r/prescriptions'), '--trust', server.asUri, '--client-id', 'tessera', '--client-secret', 'dpop-secret-123', '--json'];
    return { server, run, base };
  }

  it('--no-dpop sends no proof to an AS that advertises DPoP', async () => {
    const { server, run, base } = await cli({ advertise: ['ES256'] });
    const r = await run([...base, '--no-dpop']);
    expect(r.code).toBe(0);
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.tokenRequests[0]?.proof).toBeUndefined();
    expect(server.rsRequests.at(-1)).toMatchObject({ scheme: 'Bearer', status: 200 });
  });

  it('without a flag the advertised AS gets a proof; --dpop forces one where nothing is advertised', async () => {
    const auto = await cli({ advertise: ['ES256'] });
    expect((await auto.run(auto.base)).code).toBe(0);
    expect(auto.server.rsRequests.at(-1)?.scheme).toBe('DPoP');
    const forced = await cli({});
    const r = await forced.run([...forced.base, '--dpop']);
    expect(r.code).toBe(0);
    expect(forced.server.tokenRequests[0]?.proof).toBeDefined();
    expect(forced.server.rsRequests.at(-1)).toMatchObject({ scheme: 'DPoP', status: 200 });
    const out = JSON.parse(r.stdout) as { steps: { dpop?: { jkt?: string } }[] };
    expect(out.steps.some((s) => s.dpop?.jkt === forced.server.tokenRequests[0]?.proof?.jkt)).toBe(true);
    expect(r.stdout.match(JWS)).toBeNull();
  });

  it('--dpop against an AS that answers Bearer: exit 1, dpop_not_bound, advice without --dpop', async () => {
    const { run, base } = await cli({ advertise: ['ES256'], bind: false });
    const r = await run([...base, '--dpop']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { error: { code: string; hint: string } };
    expect(out.error.code).toBe('dpop_not_bound');
    expect(out.error.hint).toContain('without --dpop');
  });

  it('--dpop with --no-dpop is a usage error', async () => {
    const { run, base } = await cli({});
    const r = await run([...base, '--dpop', '--no-dpop']);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('--no-dpop');
  });
});

describe('sign-out', () => {
  it('forgets the party\'s DPoP keys with their RPTs, and only theirs', async () => {
    const { server, store, agent } = await setup({ advertise: ['ES256'] });
    await agent.fetch(server.url('/r/a'));
    await agent.fetch(server.url('/r/a'), { party: 'https://idp.example#bob' });
    expect(await store.list('dpop')).toHaveLength(2);
    await agent.signOut('https://idp.example#alice');
    expect((await store.list('dpop')).map((m) => m.identity)).toEqual(['https://idp.example#bob']);
  });
});

describe('an AS that binds but says Bearer (Keycloak\'s UMA grant)', () => {
  it('"dpop": "on" refuses it with dpop_not_bound, naming the cnf.jkt it found', async () => {
    const { server, agent, store } = await setup({ mislabel: true }, { dpop: 'on' });
    const result = await agent.fetch(server.url('/r/a'));
    expect(result.error).toMatchObject({ code: 'dpop_not_bound', message: expect.stringContaining('cnf.jkt') });
    expect(await store.list('rpt')).toHaveLength(0);
  });
});
