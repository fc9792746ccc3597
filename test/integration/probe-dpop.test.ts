/**
 * `tessera probe`'s DPoP checks (RFC 9449) against the strict in-test AS/RS and its variants: does
 * the AS bind the RPT to a proof, refuse a bad proof, ask for a nonce — in the JSON report, the
 * text output, JUnit and HTML.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/probe/runner';
import { renderJunit } from '../../src/probe/junit';
import { renderProbeHtml } from '../../src/probe/report-html';
import { cliRunner } from '../fixtures/cli-run';
import { startDpopServer, type DpopServer, type DpopServerOptions } from '../fixtures/dpop-server';

const servers: DpopServer[] = [];
const homes: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(homes.splice(0).map((h) => rm(h, { recursive: true, force: true })));
});

async function probe(options: DpopServerOptions) {
  const server = await startDpopServer(options);
  servers.push(server);
  const report = await runProbe({ resource: server.url('/r/prescriptions'), trust: { authorizationServers: [{ issuer: server.asUri }] }, client: { client_id: 'tessera', client_secret: 'dpop-secret-123', auth_method: 'client_secret_basic', registration: 'static' }, only: ['dpop'] });
  const check = (id: string) => report.checks.find((c) => c.id === id);
  return { server, report, check };
}

describe('tessera probe: dpop checks', () => {
  it('a strict AS that binds, refuses bad proofs and asks for a nonce: pass, pass, pass', async () => {
    const { check, server } = await probe({ advertise: ['ES256'], asNonce: true });
    expect(check('dpop.binding')).toMatchObject({ status: 'pass', spec: 'https://www.rfc-editor.org/rfc/rfc9449#section-5', detail: expect.stringContaining('token_type DPoP') });
    expect(check('dpop.bad-proof')).toMatchObject({ status: 'pass', spec: 'https://www.rfc-editor.org/rfc/rfc9449#section-4.3', detail: expect.stringContaining('invalid_dpop_proof') });
    expect(check('dpop.nonce')).toMatchObject({ status: 'pass', spec: 'https://www.rfc-editor.org/rfc/rfc9449#section-8' });
    // The bad proofs really were bad: one for another htu, one that did not verify.
    expect(server.tokenRequests.filter((r) => r.error === 'invalid_dpop_proof')).toHaveLength(2);
  });

  it('an AS that advertises DPoP but answers Bearer (Keycloak\'s UMA grant): deviation; the bad-proof check is skipped', async () => {
    const { check } = await probe({ advertise: ['ES256'], bind: false });
    expect(check('dpop.binding')).toMatchObject({ status: 'deviation', detail: expect.stringContaining('token_type Bearer') });
    expect(check('dpop.bad-proof')?.status).toBe('skip');
    expect(check('dpop.nonce')?.status).toBe('info');
  });

  it('an AS without DPoP: info', async () => {
    const { check } = await probe({ bind: false });
    expect(check('dpop.binding')).toMatchObject({ status: 'info', detail: expect.stringContaining('does not advertise') });
  });

  it('an AS that binds without checking the proof: unsafe', async () => {
    const { check, report } = await probe({ advertise: ['ES256'], lax: true });
    expect(check('dpop.binding')?.status).toBe('pass');
    expect(check('dpop.bad-proof')).toMatchObject({ status: 'unsafe', detail: expect.stringContaining('another URL') });
    expect(report.summary.unsafe).toBeGreaterThan(0);
  });

  it('shows the checks with their RFC 9449 links in the JSON, text, JUnit and HTML reports; no proof in them', async () => {
    const server = await startDpopServer({ advertise: ['ES256'], asNonce: true });
    servers.push(server);
    const home = await mkdtemp(join(tmpdir(), 'tessera-probe-dpop-'));
    homes.push(home);
    const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
    const args = ['probe', server.url('/r/prescriptions'), '--trust', server.asUri, '--client-id', 'tessera', '--client-secret', 'dpop-secret-123', '--only', 'dpop'];
    const junit = join(home, 'probe.xml');
    const html = join(home, 'probe.html');
    const text = await run([...args, '--junit', junit, '--report', html]);
    expect(text.code).toBe(0);
    for (const id of ['dpop.binding', 'dpop.bad-proof', 'dpop.nonce']) expect(text.stdout).toContain(id);
    const json = await run([...args, '--json']);
    const report = JSON.parse(json.stdout) as { checks: { id: string; spec: string; status: string }[] };
    expect(report.checks.filter((c) => c.id.startsWith('dpop.')).map((c) => `${c.id}:${c.status}`)).toEqual(['dpop.binding:pass', 'dpop.bad-proof:pass', 'dpop.nonce:pass']);
    const xml = await readFile(junit, 'utf8');
    const page = await readFile(html, 'utf8');
    for (const id of ['dpop.binding', 'dpop.bad-proof', 'dpop.nonce']) {
      expect(xml).toContain(id);
      expect(page).toContain(id);
    }
    expect(page).toContain('https://www.rfc-editor.org/rfc/rfc9449#section-5');
    expect(xml).toContain('rfc9449');
    for (const out of [json.stdout, xml, page]) expect(out.match(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g)).toBeNull();
    // The in-process reports too (the same renderers the CLI uses).
    const direct = await runProbe({ resource: server.url('/r/prescriptions'), trust: { authorizationServers: [{ issuer: server.asUri }] }, client: { client_id: 'tessera', client_secret: 'dpop-secret-123', auth_method: 'client_secret_basic', registration: 'static' }, only: ['dpop.nonce'] });
    expect(renderJunit(direct)).toContain('dpop.nonce');
    expect(renderProbeHtml(direct)).toContain('dpop.nonce');
  });
});

describe('tessera probe: dpop.binding reads a JWT RPT\'s cnf.jkt', () => {
  it('pass when it is the proof key; deviation when the answer says Bearer yet the RPT is bound (Keycloak\'s UMA grant)', async () => {
    const jwt = await probe({ advertise: ['ES256'], jwtRpt: true });
    expect(jwt.check('dpop.binding')).toMatchObject({ status: 'pass', detail: expect.stringContaining("cnf.jkt is the proof key's thumbprint") });
    const mislabel = await probe({ mislabel: true });
    expect(mislabel.check('dpop.binding')).toMatchObject({ status: 'deviation', detail: expect.stringContaining('token_type Bearer, yet the RPT names the proof key in cnf.jkt') });
  });
});

describe('tessera probe: dpop.bad-proof at an AS that binds in cnf.jkt but says Bearer', () => {
  it('is measured (the binding is real), and passes when the bad proofs are refused', async () => {
    const { check } = await probe({ mislabel: true });
    expect(check('dpop.bad-proof')?.status).toBe('pass');
  });
});
