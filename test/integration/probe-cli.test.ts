/**
 * `tessera probe` as a command: flags shared with fetch, --json shape of the issue, the HTML and
 * JUnit files, exit codes, and nothing sent to an untrusted AS.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../fixtures/cli-run';
import { fakeIdToken, startFixture, type Fixture } from '../fixtures/uma-fixture';

let fx: Fixture;
let kc: Fixture;
let home: string;
let tokenFile: string;
beforeAll(async () => {
  fx = await startFixture({ policies: { docs: 'claims' } });
  kc = await startFixture({ flavor: 'keycloak', policies: { album: 'approval' } });
  home = await mkdtemp(join(tmpdir(), 'tessera-probe-cli-'));
  tokenFile = join(home, 'id-token.jwt');
  await writeFile(tokenFile, fakeIdToken({ email: 'alice@example.org' }));
});
afterAll(async () => {
  await fx?.close();
  await kc?.close();
  await rm(home, { recursive: true, force: true });
});

const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
const creds = ['--client-id', 'tessera', '--client-secret', 'fixture-secret-123'];

describe('tessera probe', () => {
  it('--json prints as, summary and checks with step ids; --report and --junit write the files; exit 0', async () => {
    const html = join(home, 'report.html');
    const junit = join(home, 'report.xml');
    const r = await run(['probe', fx.rs('/r/docs'), '--trust', fx.asUri, ...creds, '--claim-token', tokenFile, '--report', html, '--junit', junit, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { as: { issuer: string }; summary: { pass: number; info: number; deviation: number; fail: number; unsafe: number; skip: number }; checks: { id: string; title: string; spec: string; status: string; detail: string; steps: string[] }[]; exchanges: { id: string }[] };
    expect(out.as.issuer).toBe(fx.asUri);
    expect(out.summary.fail).toBe(0);
    expect(out.summary.pass + out.summary.info + out.summary.deviation + out.summary.fail + out.summary.unsafe + out.summary.skip).toBe(out.checks.length);
    for (const c of out.checks) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'title', 'spec', 'status', 'detail', 'steps']));
      expect(c.spec).toMatch(/^https:\/\//);
      for (const s of c.steps) expect(out.exchanges.some((e) => e.id === s)).toBe(true);
    }
    expect(r.stdout).not.toContain('fixture-secret-123');
    for (const rpt of fx.state.rpts.keys()) expect(r.stdout).not.toContain(rpt);
    const page = await readFile(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).not.toContain('fixture-secret-123');
    expect(page).not.toMatch(/<script|<link|src="http/i);
    const xml = await readFile(junit, 'utf8');
    expect((xml.match(/<testcase /g) ?? []).length).toBe(out.checks.length);
    expect((xml.match(/<failure /g) ?? []).length).toBe(out.summary.fail);
    expect((xml.match(/<skipped /g) ?? []).length).toBe(out.summary.skip);
    expect((xml.match(/<system-out>deviation: /g) ?? []).length).toBe(out.summary.deviation);
  });

  it('human output: one line per check, Keycloak deviations with what to do, exit 0', async () => {
    const r = await run(['probe', kc.rs('/r/album'), '--trust', kc.asUri, ...creds]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/≈ deviation +discovery\.grant-type/);
    expect(r.stdout).toMatch(/≈ deviation +grant\.request-submitted[\s\S]*?→ Treat as pending; there is no new ticket/);
    expect(r.stdout).toMatch(/✓ pass +discovery\.location/);
    expect(r.stdout).toMatch(/left at the AS: access request for .* waiting for the resource owner \(from \d+ requests\)/);
  });

  it('--header reaches an RS that challenges only bearer requests (Keycloak enforcer); never the AS', async () => {
    const strict = kc.rs('/r/album?enforcer=strict');
    const without = await run(['probe', strict, '--trust', kc.asUri, ...creds, '--only', 'discovery', '--json']);
    expect(without.code).toBe(1);
    expect((JSON.parse(without.stdout) as { checks: { id: string; status: string }[] }).checks.find((c) => c.id === 'rs.challenge')?.status).toBe('fail');
    const rqpToken = 'rqp-access-token-for-the-enforcer-0123456789';
    const bodies = kc.stats.tokenBodies.length;
    const withHeader = await run(['probe', strict, '--trust', kc.asUri, ...creds, '--only', 'discovery,token.ticket-garbage', '--header', `Authorization: Bearer ${rqpToken}`, '--json']);
    expect(withHeader.code).toBe(0);
    expect(withHeader.stdout).not.toContain(rqpToken);
    expect(kc.stats.tokenAuth.slice(-(kc.stats.tokenBodies.length - bodies)).some((a) => a?.includes(rqpToken))).toBe(false);
  });

  it('--only runs the named groups and checks', async () => {
    const r = await run(['probe', fx.rs('/r/docs'), '--trust', fx.asUri, ...creds, '--only', 'discovery,token.ticket-garbage', '--json']);
    expect(r.code).toBe(0);
    const ids = (JSON.parse(r.stdout) as { checks: { id: string }[] }).checks.map((c) => c.id);
    expect(ids).toContain('token.ticket-garbage');
    expect(ids).not.toContain('token.ticket-reused');
    expect(ids.filter((i) => i.startsWith('discovery.')).length).toBeGreaterThan(5);
  });

  it('untrusted AS: reported, exit 1, nothing sent to the AS', async () => {
    const before = fx.stats.token + fx.stats.discovery + fx.stats.registration;
    const r = await run(['probe', fx.rs('/r/docs'), ...creds, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { as: { trusted: boolean }; checks: { id: string; status: string; detail: string }[] };
    expect(out.as.trusted).toBe(false);
    const trustCheck = out.checks.find((c) => c.id === 'safety.trusted-as');
    expect(trustCheck?.status).toBe('fail');
    expect(trustCheck?.detail).toMatch(/Nothing was sent to it/);
    expect(fx.stats.token + fx.stats.discovery + fx.stats.registration).toBe(before);
  });

  it('usage errors exit 1 with a hint', async () => {
    const r = await run(['probe', fx.rs('/r/docs'), '--only', 'nonsense']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no check or group "nonsense"/);
    expect((await run(['probe'])).code).toBe(1);
    expect((await run(['help', 'probe'])).stdout).toMatch(/usage: tessera probe/);
    for (const [args, message] of [
      [['--pending-url', fx.rs('/r/docs'), '--pending-wait', '601'], /--pending-wait "601" is not a number of seconds from 0 to 600/],
      [['--pending-url', fx.rs('/r/docs'), '--pending-wait', '1e3'], /--pending-wait "1e3"/],
      [['--pending-wait', '5'], /--pending-wait needs --pending-url/],
      [['--pending-url', 'javascript:alert(1)'], /--pending-url "javascript:alert\(1\)" is not an http\(s\) URL/],
    ] as const) {
      const bad = await run(['probe', fx.rs('/r/docs'), '--trust', fx.asUri, ...creds, ...args]);
      expect(bad.code, args.join(' ')).toBe(1);
      expect(bad.stderr).toMatch(message);
    }
  });

  it('--pending-url on a held resource: request_submitted is measured there; exit 0 when nothing fails', async () => {
    const r = await run(['probe', kc.rs('/r/docs'), '--trust', kc.asUri, ...creds, '--claim-token', tokenFile, '--pending-url', kc.rs('/r/album'), '--only', 'grant.request-submitted', '--json']);
    const out = JSON.parse(r.stdout) as { checks: { id: string; status: string; detail: string }[]; created: { kind: string; description: string }[] };
    const held = out.checks.find((c) => c.id === 'grant.request-submitted');
    expect(held?.detail).toContain(`${kc.rs('/r/album')} was put on hold`);
    expect(held?.detail).toContain('Not approved during the run');
    expect(out.created.some((c) => c.kind === 'pending_request' && c.description.includes(kc.rs('/r/album')))).toBe(true);
    expect(r.code).toBe(0);
  });
});
