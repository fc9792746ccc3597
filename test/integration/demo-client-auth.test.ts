/**
 * Client registration and authentication of the engine against a real AS (the demo's oidc-provider):
 * RFC 7591 dynamic registration with the UMA grant and claims_redirect_uris, client_secret_post, and
 * private_key_jwt (RFC 7523) whose assertion the AS verifies with the registered public key.
 */
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { startDemo, type DemoHandle } from '../../src/demo';
import { createAgent, type AgentOptions } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { signIn } from '../fixtures/demo-people';

let demo: DemoHandle;
let insurer: string;
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 } });
  insurer = String((await signIn(demo.config, 'insurer')).id_token);
});
afterAll(async () => demo.close());

const bills = () => demo.config.rs.resources.find((r) => r.name === 'bills')?.url ?? '';
const claims = { claimTokenFor: async () => ({ claim_token: insurer, claim_token_format: ID_TOKEN_FORMAT }) };
const register = async (body: Record<string, unknown>) => (await fetch(`${demo.config.as.issuer}/reg`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, string>>;
const agent = (options: Partial<AgentOptions>) => createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] }, claims, ...options });

describe('client registration and authentication against the demo AS', () => {
  it('registers dynamically (RFC 7591) with claims_redirect_uris, stores the registration and uses it', async () => {
    const store = new MemoryStore();
    const a = agent({ store, claimsRedirectUris: ['http://127.0.0.1/uma/claims-callback'] });
    const result = await a.fetch(bills());
    expect(result.outcome).toBe('granted');
    expect(result.steps.map((s) => s.kind)).toContain('registration');
    expect(await store.list('client')).toHaveLength(1);
    // The next grant at this AS reuses the stored registration: no new registration step.
    const again = await a.fetch(demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '');
    expect(again.steps.map((s) => s.kind)).not.toContain('registration');
  });

  it('authenticates with client_secret_post', async () => {
    const reg = await register({ grant_types: ['urn:ietf:params:oauth:grant-type:uma-ticket'], response_types: [], token_endpoint_auth_method: 'client_secret_post' });
    const result = await agent({ defaultClient: { clientId: reg.client_id ?? '', clientSecret: reg.client_secret ?? '', authMethod: 'client_secret_post' } }).fetch(bills());
    expect(result.outcome).toBe('granted');
  });

  it('authenticates with private_key_jwt; an assertion signed with another key is refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const reg = await register({ grant_types: ['urn:ietf:params:oauth:grant-type:uma-ticket'], response_types: [], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [publicJwk] } });
    expect(reg.client_id).toBeTruthy();
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' };
    const ok = await agent({ defaultClient: { clientId: reg.client_id ?? '', privateJwk } }).fetch(bills());
    expect(ok.outcome).toBe('granted');
    const other = await generateKeyPair('ES256', { extractable: true });
    const wrong = await agent({ defaultClient: { clientId: reg.client_id ?? '', privateJwk: { ...(await exportJWK(other.privateKey)), kid: 'k1', alg: 'ES256' } } }).fetch(bills());
    expect(wrong.outcome).toBe('error');
    expect(JSON.stringify(wrong.error)).toMatch(/invalid_client|client/);
  });
});
