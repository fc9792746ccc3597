/**
 * The full UMA loop: the Tessera engine against the demo's real IdP, AS and RS over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { startDemo, type DemoHandle } from '../../src/demo';
import { createAgent, type AgentOptions } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT, type ClaimsSource } from '../../packages/uma/src/uma/ports';
import { browserInteraction, ownerSession, signIn } from '../fixtures/demo-people';

let demo: DemoHandle;
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
});
afterAll(async () => demo.close());

const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';

async function agentFor(username: string | undefined, options: Partial<AgentOptions> = {}) {
  const idToken = username ? String((await signIn(demo.config, username)).id_token) : undefined;
  const pushed: string[] = [];
  const claims: ClaimsSource = {
    claimTokenFor: async (request) => {
      if (!idToken) return undefined;
      pushed.push(request.asIssuer);
      return { claim_token: idToken, claim_token_format: ID_TOKEN_FORMAT, identity: `${demo.config.idp.issuer}#${username}` };
    },
  };
  const store = new MemoryStore();
  const agent = createAgent({
    store,
    trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] },
    defaultClient: { clientId: demo.config.as.tesseraClient.client_id, clientSecret: demo.config.as.tesseraClient.client_secret },
    claims,
    ...(username ? { party: `${demo.config.idp.issuer}#${username}` } : {}),
    ...options,
  });
  return { agent, store, pushed };
}

describe('Tessera engine ⇄ demo servers', () => {
  it("Dr. Alice's pushed ID token gets Kate's prescriptions", async () => {
    const { agent, store } = await agentFor('alice');
    const result = await agent.fetch(url('prescriptions'));
    expect(result.outcome).toBe('granted');
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).kind).toBe('prescriptions');
    // Claims are pushed with the first token request for a trusted AS, so no need_info round trip.
    // The RS's metadata (RFC 9728, named by its challenge) lists the AS before anything goes to it.
    expect(result.steps.map((s) => `${s.lane}:${s.kind}:${s.status}`)).toEqual(['rs:resource:401', 'rs:discovery:200', 'as:discovery:200', 'as:token:200', 'rs:resource:200']);
    expect(result.resourceMetadata?.authorizationServers).toEqual([demo.config.as.issuer]);
    expect(await store.list('pct')).toHaveLength(1);
    // The cached RPT is reused: one exchange.
    expect((await agent.fetch(url('prescriptions'))).steps).toHaveLength(1);
  });

  it('Sam gets the prescriptions by his verified email; the insurer gets the bills', async () => {
    expect((await (await agentFor('sam')).agent.fetch(url('prescriptions'))).outcome).toBe('granted');
    expect((await (await agentFor('insurer')).agent.fetch(url('bills'))).outcome).toBe('granted');
  });

  it('Mallory is refused (request_denied)', async () => {
    const { agent } = await agentFor('mallory');
    const result = await agent.fetch(url('prescriptions'));
    expect(result.outcome).toBe('denied');
    expect(result.steps.at(-1)?.status).toBe(403);
    expect(JSON.stringify(result.steps.at(-1))).toContain('request_denied');
  });

  it('without claims or interaction the outcome is need_info naming email and role from Hospital ID', async () => {
    const { agent } = await agentFor(undefined);
    const result = await agent.fetch(url('prescriptions'), { interaction: false });
    expect(result.outcome).toBe('need_info');
    expect(result.needInfo?.requiredClaims?.map((c) => c.name).sort()).toEqual(['email', 'role']);
    expect(result.needInfo?.requiredClaims?.[0]?.issuer).toEqual([demo.config.idp.issuer]);
    expect(result.needInfo?.redirectUser).toBe(`${demo.config.as.issuer}/uma/claims`);
  });

  it('the blood-test report needs the claims-interaction leg: sign in at Hospital ID and accept the terms', async () => {
    const interaction = browserInteraction(demo.config, 'alice');
    const { agent } = await agentFor('alice', { interaction });
    const result = await agent.fetch(url('blood-test'));
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('granted');
    expect(JSON.parse(result.body).kind).toBe('lab-report');
    expect(interaction.calls).toBe(1);
  });

  it('care notes: pending until Kate approves in her dashboard, then the polling client gets them', async () => {
    const { agent } = await agentFor('alice');
    const first = await agent.fetch(url('care-notes'));
    expect(first.outcome).toBe('pending');
    const kate = await ownerSession(demo.config);
    expect(await kate.page()).toContain('Dr. Alice Moreau');
    const polling = agent.fetch(url('care-notes'), { waitSeconds: 30 });
    await new Promise((r) => setTimeout(r, 1500));
    await kate.decide('approve');
    const second = await polling;
    expect(second.outcome).toBe('granted');
    expect(JSON.parse(second.body).kind).toBe('care-notes');
    const log = await kate.page();
    expect(log).toContain('approved');
    expect(log).toContain('granted');
  });

  it("care notes: Kate's denial ends the wait with denied", async () => {
    const { agent } = await agentFor('sam');
    const polling = agent.fetch(url('care-notes'), { waitSeconds: 30 });
    const kate = await ownerSession(demo.config);
    for (let i = 0; i < 100 && !/data-request="[\w-]+"><td>Sam Lee/.test(await kate.page()); i++) await new Promise((r) => setTimeout(r, 100));
    await kate.decide('deny');
    expect((await polling).outcome).toBe('denied');
  });
});

describe('claims interaction without pushed claims', () => {
  it('a requesting party with no ID token signs in through the AS and gets the blood-test report', async () => {
    const interaction = browserInteraction(demo.config, 'alice');
    const { agent, store } = await agentFor(undefined, { interaction });
    const result = await agent.fetch(url('blood-test'));
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('granted');
    expect(interaction.calls).toBe(1);
    // The AS remembers the gathered claims behind a PCT: the next resource needs no interaction.
    expect(await store.list('pct')).toHaveLength(1);
    const next = await agent.fetch(url('prescriptions'));
    expect(next.outcome).toBe('granted');
    expect(interaction.calls).toBe(1);
  });

  it('declining the terms ends without access', async () => {
    const interaction = browserInteraction(demo.config, 'alice', { acceptTerms: false });
    const { agent } = await agentFor('alice', { interaction });
    const result = await agent.fetch(url('blood-test'));
    expect(result.outcome).not.toBe('granted');
  });
});
