/**
 * Issue #24's "done when" for DPoP: the demo loop runs DPoP-bound end to end — the engine against
 * the demo's real IdP, AS (binds the RPT: token_type DPoP, cnf.jkt at introspection) and RS (checks
 * the proof and the binding). Dr. Alice gets Kate's prescriptions with a bound RPT; the RS refuses
 * that RPT without a proof and with a proof of another key; the servers' nonces are answered; the
 * probe reports the binding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { HttpClient } from '../../packages/uma/src/http/fetch';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { DpopKeys, dpopHandle, dpopResourceRequest, generateDpopKeyPair } from '../../packages/uma/src/uma/dpop';
import { ID_TOKEN_FORMAT, type ClaimsSource } from '../../packages/uma/src/uma/ports';
import type { RptValue } from '../../packages/uma/src/uma/rpt-cache';
import { startDemo, type DemoHandle } from '../../src/demo';
import { runProbe } from '../../src/probe/runner';
import { signIn } from '../fixtures/demo-people';

let demo: DemoHandle;
let nonces: DemoHandle;
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, introspectionCacheMs: 0 });
  nonces = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, introspectionCacheMs: 0, dpopNonce: { as: true, rs: true } });
});
afterAll(async () => {
  await demo?.close();
  await nonces?.close();
});

const url = (d: DemoHandle, name: string) => d.config.rs.resources.find((r) => r.name === name)?.url ?? '';

async function alice(d: DemoHandle) {
  const idToken = String((await signIn(d.config, 'alice')).id_token);
  const party = `${d.config.idp.issuer}#alice`;
  const claims: ClaimsSource = { claimTokenFor: async () => ({ claim_token: idToken, claim_token_format: ID_TOKEN_FORMAT, identity: party }) };
  const store = new MemoryStore();
  const agent = createAgent({
    store,
    trust: { authorizationServers: [{ issuer: d.config.as.issuer }] },
    defaultClient: { clientId: d.config.as.tesseraClient.client_id, clientSecret: d.config.as.tesseraClient.client_secret },
    claims,
    party,
  });
  return { agent, store, party, idToken };
}

async function heldRpt(store: MemoryStore): Promise<RptValue> {
  const [meta] = await store.list('rpt');
  return (await store.get<RptValue>('rpt', meta!.key))!.value;
}

describe('the demo loop, DPoP-bound', () => {
  it("Dr. Alice gets Kate's prescriptions with a DPoP-bound RPT, presented with a proof of her key", async () => {
    const { agent, store, party } = await alice(demo);
    const result = await agent.fetch(url(demo, 'prescriptions'));
    expect(result.outcome).toBe('granted');
    expect(JSON.parse(result.body).kind).toBe('prescriptions');
    const key = await new DpopKeys(store).existing(demo.config.as.issuer, party);
    expect(key).toBeDefined();
    expect(await heldRpt(store)).toMatchObject({ token_type: 'DPoP', dpop_jkt: key!.jkt });
    const token = result.steps.find((s) => s.kind === 'token' && s.status === 200);
    expect(token?.dpop).toMatchObject({ header: { typ: 'dpop+jwt', alg: 'ES256' }, claims: { htm: 'POST' }, jkt: key!.jkt });
    const last = result.steps.at(-1);
    expect(last?.status).toBe(200);
    expect(last?.request.headers.authorization).toMatch(/^DPoP \[redacted fp:/);
    expect(last?.dpop).toMatchObject({ claims: { htm: 'GET', ath: expect.stringMatching(/^fp:/) }, jkt: key!.jkt });
    // Held: the next fetch is one exchange, still DPoP.
    const again = await agent.fetch(url(demo, 'prescriptions'));
    expect(again.steps).toHaveLength(1);
    expect(again.steps[0]?.request.headers.authorization).toMatch(/^DPoP /);
  });

  it('the RS refuses the bound RPT without a proof, as Bearer, and with a proof from another key', async () => {
    const { agent, store } = await alice(demo);
    expect((await agent.fetch(url(demo, 'prescriptions'))).outcome).toBe('granted');
    const rpt = (await heldRpt(store)).access_token;
    const http = new HttpClient();
    const get = (headers: Record<string, string>) => http.request(url(demo, 'prescriptions'), { headers, lane: 'rs', kind: 'resource', flowId: 'refusals', secrets: [rpt] });
    const noProof = await get({ authorization: `DPoP ${rpt}` });
    expect(noProof.status).toBe(401);
    const bearer = await get({ authorization: `Bearer ${rpt}` });
    expect(bearer.status).toBe(401);
    const pair = await generateDpopKeyPair();
    const other = { handle: dpopHandle(pair), jkt: 'another key', alg: 'ES256' };
    const foreign = await dpopResourceRequest(url(demo, 'prescriptions'), 'GET', {}, rpt, other, (headers) => get(headers));
    expect(foreign.status).toBe(401);
    expect(foreign.headers.get('www-authenticate')).toMatch(/DPoP/i);
    for (const r of [noProof, bearer, foreign]) expect(r.text).not.toContain('"kind":"prescriptions"');
    // The key it is bound to still opens it: the refusals were about the proof, not the RPT.
    expect((await agent.fetch(url(demo, 'prescriptions'))).status).toBe(200);
  });

  it('answers the AS\'s and the RS\'s use_dpop_nonce once each and gets the prescriptions', async () => {
    const { agent } = await alice(nonces);
    const result = await agent.fetch(url(nonces, 'prescriptions'));
    expect(result.outcome).toBe('granted');
    const tokens = result.steps.filter((s) => s.kind === 'token');
    expect(tokens.map((s) => s.status)).toEqual([400, 200]);
    expect(tokens[1]?.dpop?.claims.nonce).toEqual(expect.any(String));
    const resources = result.steps.filter((s) => s.kind === 'resource' && s.lane === 'rs');
    expect(resources.map((s) => s.status)).toEqual([401, 401, 200]);
    expect(resources[2]?.dpop?.claims.nonce).toEqual(expect.any(String));
  });

  it('the probe reports the demo AS binding RPTs and refusing bad proofs', async () => {
    const { idToken } = await alice(demo);
    const report = await runProbe({
      resource: url(demo, 'prescriptions'),
      trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] },
      client: { client_id: demo.config.as.tesseraClient.client_id, client_secret: demo.config.as.tesseraClient.client_secret, auth_method: 'client_secret_basic', registration: 'static' },
      claimTokens: [{ claim_token: idToken, claim_token_format: ID_TOKEN_FORMAT }],
      only: ['dpop'],
    });
    const status = (id: string) => report.checks.find((c) => c.id === id)?.status;
    expect(status('dpop.binding')).toBe('pass');
    expect(status('dpop.bad-proof')).toBe('pass');
    expect(status('dpop.nonce')).toBe('info');
  });
});
