/**
 * "Check this AS" through the service API against the demo's real IdP, AS and RS: Dr. Alice signs
 * in (the system browser is an HttpBrowser), the check runs acting as her, progress arrives as one
 * `check` event per finished check in order, and the verdicts are the CLI probe's. The export is
 * one self-contained HTML file (nothing it loads, links only to the specs) holding none of the raw
 * tokens, tickets and secrets that crossed the wire (recorded from the real fetch). Cancel stops a
 * run; an untrusted AS gets nothing; an RS naming another AS is reported and that AS gets nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, CheckRunView } from '../../src/app/api';
import { TesseraService } from '../../src/app/service';
import { builtInDemoSetup } from '../../src/app/demo-setup';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { startDemo, type DemoHandle } from '../../src/demo';
import { cliRunner } from '../fixtures/cli-run';
import { signIn } from '../fixtures/demo-people';
import { formAction, HttpBrowser } from '../fixtures/http-browser';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';

let demo: DemoHandle;
let fx: Fixture;
let home: string;
let service: TesseraService;
const events: ApiEvent[] = [];
/** Every secret-looking value that crossed the wire in this test process (requests and answers). */
const raw = new Set<string>();
const realFetch = globalThis.fetch;

const SECRET_FIELDS = /^(access_token|refresh_token|id_token|pct|rpt|ticket|claim_token|client_secret|registration_access_token|token|code|code_verifier)$/;
function collect(text: string): void {
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === 'object') for (const [k, v] of Object.entries(json)) if (SECRET_FIELDS.test(k) && typeof v === 'string' && v.length >= 8) raw.add(v);
    return;
  } catch { /* a form */ }
  for (const [k, v] of new URLSearchParams(text)) if (SECRET_FIELDS.test(k) && v.length >= 8) raw.add(v);
}

beforeAll(async () => {
  // Record the real wire: the probe and the engine use the global fetch.
  globalThis.fetch = async (input, init) => {
    if (typeof init?.body === 'string') collect(init.body);
    else if (init?.body instanceof URLSearchParams) collect(init.body.toString());
    const response = await realFetch(input, init);
    const challenge = /ticket="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
    if (challenge) raw.add(challenge);
    if (/json/.test(response.headers.get('content-type') ?? '')) collect(await response.clone().text());
    return response;
  };
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
  fx = await startFixture();
  home = await mkdtemp(join(tmpdir(), 'tessera-check-as-'));
  raw.add(demo.config.as.tesseraClient.client_secret);
  const browser = new HttpBrowser();
  service = await TesseraService.create({
    home, store: new MemoryStore(), mode: 'browser', demo: builtInDemoSetup(demo.config),
    // The person at the system browser signs in at Hospital ID as Dr. Alice.
    opener: async (u) => {
      const back = (x: string) => x.startsWith(new URL(u).searchParams.get('redirect_uri') ?? '');
      let page = await browser.open(u, back);
      if (!back(page.url)) page = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: 'alice', password: 'alice-demo' }, back);
      await (await fetch(page.url)).text();
    },
  });
  await service.call('signIn', { issuer: demo.config.idp.issuer, clientId: 'tessera', scope: 'openid email profile role offline_access' });
  service.subscribe((e) => events.push(e));
});
afterAll(async () => {
  globalThis.fetch = realFetch;
  await service?.close();
  await demo?.close();
  await fx?.close();
  await rm(home, { recursive: true, force: true });
});

const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';
const runEvents = (runId: string) => events.filter((e) => (e.type === 'check' && e.runId === runId) || (e.type === 'checkRun' && e.run.runId === runId));

async function finished(runId: string): Promise<CheckRunView> {
  for (let i = 0; i < 600; i++) {
    const done = events.find((e): e is Extract<ApiEvent, { type: 'checkRun' }> => e.type === 'checkRun' && e.run.runId === runId && !e.run.running);
    if (done) return done.run;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the check did not finish');
}

describe('Check this AS (service)', () => {
  let run: CheckRunView;

  it("runs the probe's checks as Dr. Alice with live progress in order, and the CLI probe's verdicts", async () => {
    const party = (await service.getState()).actingAs.party;
    expect(party).toBe(`${demo.config.idp.issuer}#alice`);
    const { runId } = await service.call('checkAs', { issuer: demo.config.as.issuer, resource: url('prescriptions') });
    run = await finished(runId);
    const seen = runEvents(runId);
    // Started, then one event per check in the order they ran, then the report.
    expect(seen[0]).toMatchObject({ type: 'checkRun', run: { running: true, party, done: 0 } });
    expect(seen.at(-1)).toMatchObject({ type: 'checkRun', run: { running: false } });
    const progress = seen.slice(1, -1);
    expect(progress.every((e) => e.type === 'check')).toBe(true);
    const checks = progress.flatMap((e) => (e.type === 'check' ? [e] : []));
    expect(checks.map((e) => e.index)).toEqual(checks.map((_, i) => i));
    expect(new Set(checks.map((e) => e.total))).toEqual(new Set([run.checks.length]));
    expect(checks[0]?.check.id).toBe('rs.challenge');
    // A live check carries its redacted exchanges.
    expect(checks.find((e) => e.check.id === 'token.ticket-garbage')?.check.steps.some((s) => s.kind === 'token')).toBe(true);

    expect(run).toMatchObject({ party, running: false, cancelled: false, issuer: demo.config.as.issuer });
    expect(run.summary.fail).toBe(0);
    expect(run.summary.deviation).toBe(0);
    expect(run.checks.find((c) => c.id === 'claims.push')?.status).toBe('pass');
    expect(run.checks.find((c) => c.id === 'pct.issued')?.status).toBe('pass');
    expect(run.origins.sort()).toEqual([demo.config.as.issuer, demo.config.rs.url].sort());
    expect(await service.call('getCheckRun', { runId })).toEqual(run);

    // The same checks with the CLI, as Dr. Alice (her own ID token in a file), give the same verdicts.
    const cliHome = await mkdtemp(join(tmpdir(), 'tessera-check-as-cli-'));
    try {
      const tokenFile = join(cliHome, 'alice.jwt');
      const idToken = String((await signIn(demo.config, 'alice')).id_token);
      raw.add(idToken);
      await writeFile(tokenFile, idToken);
      const cli = cliRunner(() => ({ TESSERA_HOME: cliHome, TESSERA_VAULT_BACKENDS: 'memory' }));
      const r = await cli(['probe', url('prescriptions'), '--trust', demo.config.as.issuer, '--client-id', 'tessera', '--client-secret', demo.config.as.tesseraClient.client_secret, '--claim-token', tokenFile, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { summary: CheckRunView['summary']; checks: { id: string; status: string }[] };
      expect(run.checks.map((c) => [c.id, c.status])).toEqual(out.checks.map((c) => [c.id, c.status]));
      expect(run.summary).toEqual(out.summary);
    } finally {
      await rm(cliHome, { recursive: true, force: true });
    }
  });

  it('exports one self-contained HTML report and its JSON, without a raw token, ticket or secret', async () => {
    const html = await service.call('exportCheckReport', { runId: run.runId, format: 'html' });
    expect(html.mime).toBe('text/html');
    expect(html.filename).toMatch(/^tessera-check-127\.0\.0\.1-\d+-.*\.html$/);
    expect(html.text).toMatch(/^<!DOCTYPE html>/);
    expect(html.text).toContain("default-src 'none'");
    // Nothing to load: no script, stylesheet, image, frame or CSS url(); links go only to the specs or within the page.
    expect(html.text).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|\ssrc=|url\(|@import/i);
    const hrefs = [...html.text.matchAll(/href="([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(hrefs.length).toBeGreaterThan(run.checks.length);
    expect(hrefs.filter((h) => !h.startsWith('#') && !/^https:\/\/(www\.rfc-editor\.org|docs\.kantarainitiative\.org|www\.keycloak\.org)\//.test(h))).toEqual([]);
    for (const c of run.checks) expect(html.text).toContain(`id="check-${c.id}"`);
    const json = await service.call('exportCheckReport', { runId: run.runId, format: 'json' });
    expect(JSON.parse(json.text)).toMatchObject({ as: { issuer: demo.config.as.issuer }, summary: run.summary });
    // The raw values that crossed the wire: tickets, RPTs, PCTs, refresh and ID tokens, the client secret.
    expect(raw.size).toBeGreaterThan(20);
    for (const secret of raw) {
      expect(html.text.includes(secret), `HTML export holds a raw secret (${secret.slice(0, 6)}…)`).toBe(false);
      expect(json.text.includes(secret), `JSON export holds a raw secret (${secret.slice(0, 6)}…)`).toBe(false);
      expect(JSON.stringify(run).includes(secret), `the view holds a raw secret (${secret.slice(0, 6)}…)`).toBe(false);
    }
  });

  it("lists the pending request the checks left at the AS (Kate's care notes ask her)", async () => {
    const { runId } = await service.call('checkAs', { issuer: demo.config.as.issuer, resource: url('care-notes'), only: ['grant', 'claims.push', 'safety'] });
    const done = await finished(runId);
    expect(done.checks.find((c) => c.id === 'grant.request-submitted')?.status).toBe('pass');
    const pending = done.created.filter((c) => c.kind === 'pending_request');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((p) => !p.cleanedUp)).toBe(true);
  });

  it('cancel: the checks not finished are skipped, the safety checks still report', async () => {
    const { runId } = await service.call('checkAs', { issuer: demo.config.as.issuer, resource: url('prescriptions') });
    for (let i = 0; i < 200 && !runEvents(runId).some((e) => e.type === 'check'); i++) await new Promise((r) => setTimeout(r, 5));
    await service.call('cancelCheck', { runId });
    const done = await finished(runId);
    expect(done.cancelled).toBe(true);
    const cancelled = done.checks.filter((c) => c.detail === 'Cancelled before this check finished.');
    expect(cancelled.length).toBeGreaterThan(10);
    expect(cancelled.every((c) => c.status === 'skip')).toBe(true);
    expect(done.checks.find((c) => c.id === 'safety.created')?.status).toBe('pass');
    expect(done.checks.length).toBe(run.checks.length);
    expect((await service.call('exportCheckReport', { runId, format: 'html' })).text).toContain('Cancelled:');
  });

  it('nothing goes to an untrusted AS, nor to another AS an RS names', async () => {
    const before = events.length;
    await expect(service.call('checkAs', { issuer: fx.asUri, resource: fx.rs('/r/bills') })).rejects.toMatchObject({ code: 'untrusted_as' });
    expect(events.length).toBe(before);
    // The fixture's RS names the fixture's AS, not the demo's: the check stops after the RS's 401.
    const { runId } = await service.call('checkAs', { issuer: demo.config.as.issuer, resource: fx.rs('/r/bills') });
    const done = await finished(runId);
    expect(done.otherAs).toBe(fx.asUri);
    expect(done.origins).toEqual([fx.rsOrigin]);
    expect(done.checks.find((c) => c.id === 'safety.trusted-as')?.status).toBe('fail');
    expect(fx.state.rpts.size).toBe(0);
  });

  it('rejects bad input at the contract', async () => {
    await expect(service.call('checkAs', { issuer: demo.config.as.issuer, resource: 'file:///etc/passwd' })).rejects.toThrow();
    await expect(service.call('checkAs', { issuer: demo.config.as.issuer, resource: 'http://example.com/r' })).rejects.toMatchObject({ code: 'usage' });
    await expect(service.call('checkAs', { issuer: demo.config.as.issuer, resource: url('prescriptions'), extra: 1 })).rejects.toThrow();
    await expect(service.call('checkAs', { issuer: demo.config.as.issuer, resource: url('prescriptions'), only: ['token.no-such-check'] })).rejects.toMatchObject({ code: 'usage' });
    await expect(service.call('exportCheckReport', { runId: 'nope', format: 'html' })).rejects.toMatchObject({ code: 'usage' });
    await expect(service.call('exportCheckReport', { runId: run.runId, format: 'pdf' })).rejects.toThrow();
  });
});
