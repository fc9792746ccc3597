/**
 * Kate's demo data can be reset: a PUT through the UMA grant changes a record for good (Kate gave
 * physicians `write` in her dashboard); "Reset my records" in her dashboard (CSRF-checked) and
 * `resetRecords()` (what `npm run demo -- --reset` calls) put the demo's story back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { parseWwwAuthenticate } from '../../packages/uma/src/uma/challenge';
import { ownerSession, signIn } from '../fixtures/demo-people';
import { hiddenValue } from '../fixtures/http-browser';

const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
let demo: DemoHandle;
let alice: string;
const rx = () => demo.config.rs.resources.find((r) => r.name === 'prescriptions');

beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, introspectionCacheMs: 0 });
  alice = String((await signIn(demo.config, 'alice')).id_token);
});
afterAll(async () => demo.close());

/** Alice's RPT for what the RS's challenge to `init` asks. */
async function rptFor(init: RequestInit = {}): Promise<string> {
  const challenged = await fetch(rx()?.url ?? '', init);
  const ticket = parseWwwAuthenticate([challenged.headers.get('www-authenticate') ?? '']).find((c) => c.scheme.toLowerCase() === 'uma')?.params.ticket ?? '';
  const r = await fetch(`${demo.config.as.issuer}/token`, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from('tessera:tessera-demo-secret').toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:uma-ticket', ticket, claim_token: alice, claim_token_format: ID_TOKEN }).toString() });
  return String(((await r.json()) as { access_token: string }).access_token);
}
const read = async () => (await (await fetch(rx()?.url ?? '', { headers: { Authorization: `Bearer ${await rptFor()}` } })).json()) as Record<string, unknown>;

describe("resetting Kate's demo records", () => {
  it('a PUT changes the record; Reset in the dashboard puts it back (a forged form does nothing)', async () => {
    const original = await read();
    expect(original.prescriptions).toHaveLength(3);
    const kate = await ownerSession(demo.config);
    let html = await kate.page();
    await kate.browser.submit(demo.config.as.dashboardUrl, `/dashboard/resources/${rx()?.id ?? ''}/rules`, { csrf: hiddenValue(html, 'csrf'), claim: 'role', value: 'physician', scope_read: 'on', scope_write: 'on' });

    const put = { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ patient: 'changed', prescriptions: [] }) };
    const written = await fetch(rx()?.url ?? '', { ...put, headers: { ...put.headers, Authorization: `Bearer ${await rptFor(put)}` } });
    expect(written.status).toBe(200);
    expect((await read()).patient).toBe('changed');

    html = await kate.page();
    expect(html).toContain("Reset my records to the demo's story");
    const forged = await kate.browser.submit(demo.config.as.dashboardUrl, '/dashboard/reset', { csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect((await read()).patient).toBe('changed');

    const reset = await kate.browser.submit(demo.config.as.dashboardUrl, '/dashboard/reset', { csrf: hiddenValue(html, 'csrf') });
    expect(reset.text).toContain('records are back as the demo tells them');
    expect(await read()).toEqual(original);
  });

  it('resetRecords() (npm run demo -- --reset) does the same and says how many', async () => {
    expect(await demo.resetRecords()).toBe(4);
    expect(((await read()).prescriptions as unknown[]).length).toBe(3);
  });
});
