/**
 * Resuming a grant from a stored ticket (UMA Grant §3.3.6): after `request_submitted` the client
 * polls the token endpoint with the AS's new ticket, not the RS; a ticket the AS no longer accepts
 * sends the agent back to the RS for a fresh one. Against the demo's real IdP, AS and RS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { startDemo, type DemoHandle } from '../../src/demo';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { ownerSession, signIn } from '../fixtures/demo-people';

let demo: DemoHandle;
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
});
afterAll(async () => demo.close());

const kinds = (steps: { kind: string; status: number | null }[]) => steps.map((s) => `${s.kind}:${s.status}`);

describe('resume a pending grant with its ticket', () => {
  it('polls the token endpoint with the new ticket, then fetches the record once Kate approves', async () => {
    const idToken = String((await signIn(demo.config, 'alice')).id_token);
    const party = `${demo.config.idp.issuer}#alice`;
    const agent = createAgent({
      store: new MemoryStore(),
      trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] },
      defaultClient: { clientId: demo.config.as.tesseraClient.client_id, clientSecret: demo.config.as.tesseraClient.client_secret },
      claims: { claimTokenFor: async () => ({ claim_token: idToken, claim_token_format: ID_TOKEN_FORMAT, identity: party }) },
      party,
    });
    const url = demo.config.rs.resources.find((r) => r.name === 'care-notes')?.url ?? '';
    const first = await agent.fetch(url);
    expect(first.outcome).toBe('pending');
    const ticket = first.pending?.ticket ?? '';
    expect(ticket).not.toBe('');

    const still = await agent.fetch(url, { resume: { asUri: demo.config.as.issuer, ticket } });
    expect(still.outcome).toBe('pending');
    expect(kinds(still.steps)).toEqual(['token:403']);
    expect(still.pending?.ticket).toBeDefined();
    expect(still.pending?.ticket).not.toBe(ticket);

    const kate = await ownerSession(demo.config);
    await kate.decide('approve');
    const granted = await agent.fetch(url, { resume: { asUri: demo.config.as.issuer, ticket: still.pending?.ticket ?? '' } });
    expect(granted.outcome).toBe('granted');
    expect(kinds(granted.steps)).toEqual(['token:200', 'resource:200']);
    expect(JSON.parse(granted.body).kind).toBe('care-notes');
    expect(granted.access).toBe('issued');
  });

  it('a ticket the AS rejects: back to the RS for a fresh one', async () => {
    const agent = createAgent({
      store: new MemoryStore(),
      trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] },
      defaultClient: { clientId: demo.config.as.tesseraClient.client_id, clientSecret: demo.config.as.tesseraClient.client_secret },
    });
    const url = demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    const result = await agent.fetch(url, { resume: { asUri: demo.config.as.issuer, ticket: 'spent-or-unknown-ticket' }, interaction: false });
    expect(kinds(result.steps).slice(0, 3)).toEqual(['discovery:200', 'token:400', 'resource:401']);
    expect(result.outcome).toBe('need_info');
  });

  it('a resumed ticket for an AS that is not trusted sends nothing', async () => {
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [] } });
    const result = await agent.fetch('http://127.0.0.1:9/x', { resume: { asUri: demo.config.as.issuer, ticket: 't' } });
    expect(result.outcome).toBe('untrusted_as');
    expect(result.steps).toEqual([]);
  });
});
