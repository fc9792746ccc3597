/**
 * Keycloak's UMA extensions (`audience`, `permission`, `response_mode`) through the engine's
 * Agent.askKeycloak and `tessera fetch`'s flags, against the real Keycloak realm (see setup.ts) and the
 * demo RS registered in it.
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { cliRunner } from '../fixtures/cli-run';
import { keycloakDemoForFile } from '../fixtures/keycloak-demo';
import { keycloakSignIn } from '../fixtures/keycloak-people';

const kc = inject('keycloak');

describe.skipIf(!kc)("Keycloak's UMA extensions against a real Keycloak", () => {
  const issuer = kc?.issuer ?? '';
  const idTokens = new Map<string, string>();
  const kd = keycloakDemoForFile(kc);

  const { resource } = kd;
  async function idToken(username: string): Promise<string> {
    let t = idTokens.get(username);
    if (!t) idTokens.set(username, (t = (await keycloakSignIn(issuer, username, 'tessera')).idToken));
    return t;
  }
  async function agentFor(username: string) {
    const token = await idToken(username);
    const party = `${issuer}#${String(decodeJwt(token).sub)}`;
    const agent = createAgent({
      store: new MemoryStore(),
      party,
      trust: { authorizationServers: [{ issuer }] },
      defaultClient: { clientId: KEYCLOAK_CLIENTS.tessera.client_id, clientSecret: KEYCLOAK_CLIENTS.tessera.client_secret },
      claims: { claimTokenFor: async () => ({ claim_token: token, claim_token_format: ID_TOKEN_FORMAT, identity: party }) },
    });
    return { agent, party };
  }
  const audience = KEYCLOAK_CLIENTS.rs.client_id;

  it('an RPT without a ticket (audience + permission): it carries that permission and the next fetch presents it', async () => {
    const { agent } = await agentFor('alice');
    const rx = resource('prescriptions');
    const answer = await agent.askKeycloak(issuer, { audience, permissions: [`${rx.id}#read`] }, { rsOrigin: new URL(rx.url).origin });
    expect(answer.type).toBe('token');
    if (answer.type !== 'token') return;
    expect(answer.permissions?.map((p) => p.rsid)).toEqual([rx.id]);
    const body = answer.steps.find((s) => s.kind === 'token')?.request.body ?? '';
    expect(body).toContain(`audience=${audience}`);
    expect(body).not.toContain('ticket=');
    expect(JSON.stringify(answer.steps)).not.toContain(await idToken('alice'));
    expect(JSON.stringify(answer.steps)).not.toContain(answer.token.accessToken);
    const fetched = await agent.fetch(rx.url);
    expect(fetched.outcome).toBe('granted');
    expect(fetched.steps.map((s) => `${s.kind}:${s.status}`)).toEqual(['resource:200']);
  });

  it('response_mode=decision: yes for a permitted permission, no for a denied one; permissions lists what is granted', async () => {
    const alice = await agentFor('alice');
    const mallory = await agentFor('mallory');
    const rx = resource('prescriptions');
    expect(await alice.agent.askKeycloak(issuer, { audience, permissions: [`${rx.id}#read`], responseMode: 'decision' })).toMatchObject({ type: 'decision', granted: true });
    expect(await mallory.agent.askKeycloak(issuer, { audience, permissions: [`${rx.id}#read`], responseMode: 'decision' })).toMatchObject({ type: 'decision', granted: false });
    const listed = await alice.agent.askKeycloak(issuer, { audience, permissions: [`${rx.id}#read`], responseMode: 'permissions' });
    expect(listed.type).toBe('permissions');
    if (listed.type === 'permissions') expect(listed.permissions).toEqual([expect.objectContaining({ rsid: rx.id, scopes: ['read'] })]);
  });

  it('an AS that is not trusted gets nothing', async () => {
    const { agent } = await agentFor('alice');
    await expect(agent.askKeycloak('http://127.0.0.1:9/realms/x', { audience })).rejects.toMatchObject({ code: 'untrusted_as' });
  });

  it('tessera fetch --audience --permission --response-mode decision, and --permission then the fetch', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-kc-opts-'));
    const runCli = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
    const tokenFile = join(home, 'alice.jwt');
    await writeFile(tokenFile, await idToken('alice'));
    const rx = resource('prescriptions');
    const common = ['--trust', issuer, '--client-id', KEYCLOAK_CLIENTS.tessera.client_id, '--client-secret', KEYCLOAK_CLIENTS.tessera.client_secret, '--claim-token', tokenFile];
    const decision = await runCli(['fetch', rx.url, ...common, '--audience', audience, '--permission', `${rx.id}#read`, '--response-mode', 'decision', '--json']);
    expect(decision.code, decision.stderr).toBe(0);
    expect(JSON.parse(decision.stdout)).toMatchObject({ outcome: 'granted', decision: true });
    const fetched = await runCli(['fetch', rx.url, ...common, '--audience', audience, '--permission', `${rx.id}#read`, '--no-submit-request', '--json']);
    expect(fetched.code, fetched.stderr).toBe(0);
    const out = JSON.parse(fetched.stdout) as { outcome: string; steps: { kind: string; status: number }[] };
    expect(out.outcome).toBe('granted');
    expect(out.steps.map((s) => `${s.kind}:${s.status}`)).toEqual(['resource:200']);
    const bad = await runCli(['fetch', rx.url, ...common, '--response-mode', 'maybe']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--response-mode');
  });
});
