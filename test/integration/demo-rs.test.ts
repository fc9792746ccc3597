/** The health-records RS over real HTTP: challenges, RPT checks by introspection, scopes, AS outage. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { parseWwwAuthenticate } from '../../packages/uma/src/uma/challenge';
import { signIn } from '../fixtures/demo-people';

const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
let demo: DemoHandle;
let alice: string;
const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';

beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, introspectionCacheMs: 0 });
  alice = String((await signIn(demo.config, 'alice')).id_token);
});
afterAll(async () => demo.close());

async function rptFor(response: Response): Promise<string> {
  const challenge = parseWwwAuthenticate([response.headers.get('www-authenticate') ?? '']).find((c) => c.scheme.toLowerCase() === 'uma');
  const ticket = challenge?.params.ticket ?? '';
  const r = await fetch(`${demo.config.as.issuer}/token`, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from('tessera:tessera-demo-secret').toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:uma-ticket', ticket, claim_token: alice, claim_token_format: ID_TOKEN }).toString() });
  return String(((await r.json()) as { access_token: string }).access_token);
}

describe('health-records RS', () => {
  it('lists its resources publicly (metadata only)', async () => {
    const r = await fetch(demo.config.rs.url);
    const body = (await r.json()) as { resources: { name: string }[] };
    expect(body.resources.map((x) => x.name)).toEqual(['prescriptions', 'blood-test', 'bills', 'discharge-letter', 'care-notes']);
  });

  it('answers a tokenless request with 401 and a UMA challenge naming the AS and a ticket', async () => {
    const r = await fetch(url('prescriptions'));
    expect(r.status).toBe(401);
    const header = r.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/^UMA realm="kate-health-records", as_uri="http:\/\/127\.0\.0\.1:\d+", ticket="[\w-]+", resource_metadata="[^"]+"$/);
    const [challenge] = parseWwwAuthenticate([header]);
    expect(challenge?.params.as_uri).toBe(demo.config.as.issuer);
    expect(challenge?.params.resource_metadata).toBe(`${new URL(demo.config.rs.url).origin}/.well-known/oauth-protected-resource`);
  });

  it('publishes its protected-resource metadata (RFC 9728), naming its AS', async () => {
    const r = await fetch(`${new URL(demo.config.rs.url).origin}/.well-known/oauth-protected-resource`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ resource: new URL(demo.config.rs.url).origin, authorization_servers: [demo.config.as.issuer], resource_name: "Kate's health records" });
  });

  it('serves the record with a sufficient RPT; a new ticket for an insufficient one (other resource or write)', async () => {
    const rpt = await rptFor(await fetch(url('prescriptions')));
    const ok = await fetch(url('prescriptions'), { headers: { Authorization: `Bearer ${rpt}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { prescriptions: unknown[] }).prescriptions).toHaveLength(3);
    const other = await fetch(url('bills'), { headers: { Authorization: `Bearer ${rpt}` } });
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toContain('ticket=');
    const write = await fetch(url('prescriptions'), { method: 'PUT', headers: { Authorization: `Bearer ${rpt}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(write.status).toBe(401);
    const bogus = await fetch(url('prescriptions'), { headers: { Authorization: 'Bearer not-an-rpt' } });
    expect(bogus.status).toBe(401);
  });

  it('rejects unknown paths, methods and malformed Authorization headers cleanly', async () => {
    expect((await fetch(`${demo.config.rs.url}/patients/kate/unknown`)).status).toBe(404);
    expect((await fetch(url('bills'), { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(url('bills'), { method: 'PUT' })).status).toBe(405);
    const r = await fetch(url('bills'), { headers: { Authorization: 'Bearer' } });
    expect(r.status).toBe(400);
  });

  it('answers 403 + Warning 199 when the AS is unreachable (the last test: it takes the AS down)', async () => {
    await new Promise<void>((done) => { demo.servers.as.close(() => done()); demo.servers.as.closeAllConnections(); });
    const r = await fetch(url('prescriptions'));
    expect(r.status).toBe(403);
    expect(r.headers.get('warning')).toBe('199 - "UMA Authorization Server Unreachable"');
    expect(r.headers.get('www-authenticate')).toBeNull();
  });
});
