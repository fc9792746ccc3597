/**
 * State survives a killed demo: SIGKILL the `npm run demo` process (while requests are in flight),
 * restart it on the same ports and data directory, and find resources, policies, the pending request,
 * tokens, PCTs, the access log and the signing keys intact.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoConfig } from '../../src/demo';
import { USERS } from '../../src/demo/seed';
import { hiddenValue } from '../fixtures/http-browser';
import { ownerSession, signIn } from '../fixtures/demo-people';
import { freePort } from '../fixtures/ports';

const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
const dir = mkdtempSync(join(tmpdir(), 'tessera-demo-restart-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startChild(ports: number[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/cli.ts', '--data-dir', dir, '--idp-port', String(ports[0]), '--as-port', String(ports[1]), '--rs-port', String(ports[2]), '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('Tessera demo servers are running')) resolve(); });
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => reject(new Error(`demo exited ${code}: ${err}`)));
  });
  return child;
}

function configFor(ports: number[]): DemoConfig {
  const [idp, as, rs] = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string, string];
  return {
    idp: { issuer: idp, tesseraClient: { client_id: 'tessera', redirect_uri: 'http://127.0.0.1/oidc/callback' } },
    as: { issuer: as, dashboardUrl: `${as}/dashboard`, tesseraClient: { client_id: 'tessera', client_secret: 'tessera-demo-secret', token_endpoint_auth_method: 'client_secret_basic', claims_redirect_uris: [] } },
    rs: { url: rs, resources: [] },
    users: USERS,
  };
}

const tesseraAuth = `Basic ${Buffer.from('tessera:tessera-demo-secret').toString('base64')}`;
async function grant(config: DemoConfig, resourceUrl: string, params: Record<string, string>) {
  const challenge = (await fetch(resourceUrl)).headers.get('www-authenticate') ?? '';
  const ticket = /ticket="([^"]+)"/.exec(challenge)?.[1] ?? '';
  const r = await fetch(`${config.as.issuer}/token`, { method: 'POST', headers: { Authorization: tesseraAuth, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:uma-ticket', ticket, ...params }).toString() });
  return { status: r.status, body: (await r.json()) as Record<string, string> };
}

describe('demo persistence', () => {
  it('restarts after SIGKILL with its state intact', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const config = configFor(ports);
    const rx = `${config.rs.url}/patients/kate/prescriptions`;
    const notes = `${config.rs.url}/patients/kate/care-notes`;
    let child = await startChild(ports);

    const alice = String((await signIn(config, 'alice')).id_token);
    const granted = await grant(config, rx, { claim_token: alice, claim_token_format: ID_TOKEN });
    expect(granted.status).toBe(200);
    const pending = await grant(config, notes, { claim_token: alice, claim_token_format: ID_TOKEN });
    expect(pending.body.error).toBe('request_submitted');
    const kate = await ownerSession(config);
    const page = await kate.page();
    const resourceId = /id="resource-([\w-]+)"/.exec(page)?.[1] ?? '';
    await kate.browser.submit(config.as.dashboardUrl, `/dashboard/resources/${resourceId}/rules`, { csrf: hiddenValue(page, 'csrf'), claim: 'email', value: 'nurse@riverside.example', scope_read: 'on' });
    const resourcesBefore = await (await fetch(config.rs.url)).json();

    // Kill while a burst of requests is in flight.
    const burst = Array.from({ length: 30 }, () => grant(config, rx, { claim_token: alice, claim_token_format: ID_TOKEN }).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await Promise.all(burst);
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));

    child = await startChild(ports);
    // Resources are re-found by name, not duplicated.
    expect(await (await fetch(config.rs.url)).json()).toEqual(resourcesBefore);
    // The RPT issued before the kill still opens the record.
    expect((await fetch(rx, { headers: { Authorization: `Bearer ${granted.body.access_token}` } })).status).toBe(200);
    // The ID token signed before the restart still verifies (signing keys persisted); the PCT still works.
    expect((await grant(config, rx, { claim_token: alice, claim_token_format: ID_TOKEN })).status).toBe(200);
    expect((await grant(config, rx, { pct: granted.body.pct ?? '' })).status).toBe(200);
    // Kate's session, her new rule, the pending request and the access log survived.
    const after = await kate.page();
    expect(after).toContain('nurse@riverside.example');
    expect(after).toContain('Dr. Alice Moreau');
    expect(after).toMatch(/granted/);
    await kate.decide('approve');
    const poll = await fetch(`${config.as.issuer}/token`, { method: 'POST', headers: { Authorization: tesseraAuth, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:uma-ticket', ticket: pending.body.ticket ?? '' }).toString() });
    expect(poll.status).toBe(200);
    child.kill('SIGTERM');
  }, 120_000);
});
