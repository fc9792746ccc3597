/**
 * Defect 5 of issue #20 against a real Keycloak: a held request resolves within the wait.
 * Keycloak answers a grant the owner must decide with 403 `access_denied`/`request_submitted` and
 * no new ticket; the same ticket keeps working, and after Kate approves (Account REST API, "My
 * Resources" sharing) it yields the RPT. The engine polls with that ticket on the one polling policy
 * (packages/uma/src/uma/poll-policy.ts), so `waitSeconds` — and the CLI's `--wait 60` — resolve the hold.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeJwt } from 'jose';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { cliRunner } from '../fixtures/cli-run';
import { keycloakDemoForFile } from '../fixtures/keycloak-demo';
import { kateAccount, keycloakSignIn } from '../fixtures/keycloak-people';

const kc = inject('keycloak');

describe.skipIf(!kc)('a Keycloak hold that Kate approves during the wait', () => {
  let home: string;
  const issuer = kc?.issuer ?? '';
  const kd = keycloakDemoForFile(kc);
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'tessera-kc-wait-'));
  });
  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  const { resource } = kd;

  /** Waits until `username`'s request for `name` shows in Kate's Account REST API (and `also()` holds). */
  async function kateApprovesWhenAsked(name: string, username: string, also: () => boolean = () => true): Promise<number> {
    const kate = await kateAccount(issuer);
    const end = Date.now() + 30_000;
    for (;;) {
      const requests = await kate.requests(resource(name).id);
      if (requests.some((r) => r.username === username) && also()) {
        // Polling with the same ticket files no second request: Keycloak de-duplicates by (resource, scope, requester).
        expect(requests.filter((r) => r.username === username)).toHaveLength(1);
        return Date.now();
      }
      if (Date.now() > end) throw new Error(`no request from ${username} for ${name}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('the engine: waitSeconds polls with the same ticket and is granted once Kate approves', async () => {
    const mallory = await keycloakSignIn(issuer, 'mallory', 'tessera');
    const party = `${issuer}#${String(decodeJwt(mallory.idToken).sub)}`;
    const answers: { status: number; body: Record<string, unknown>; ticket?: string | null }[] = [];
    const agent = createAgent({
      store: new MemoryStore(),
      party,
      trust: { authorizationServers: [{ issuer }] },
      defaultClient: { clientId: KEYCLOAK_CLIENTS.tessera.client_id, clientSecret: KEYCLOAK_CLIENTS.tessera.client_secret },
      claims: { claimTokenFor: async () => ({ claim_token: mallory.idToken, claim_token_format: ID_TOKEN_FORMAT, identity: party }) },
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (String(input).endsWith('/protocol/openid-connect/token')) {
          const ticket = init?.body instanceof URLSearchParams ? init.body.get('ticket') : typeof init?.body === 'string' ? new URLSearchParams(init.body).get('ticket') : undefined;
          answers.push({ status: response.status, body: (await response.clone().json().catch(() => ({}))) as Record<string, unknown>, ticket });
        }
        return response;
      },
    });
    const started = Date.now();
    // Kate decides only after Tessera has polled once with the held ticket (to see what Keycloak says then).
    const approval = kateApprovesWhenAsked('discharge-letter', 'mallory', () => answers.length >= 2).then(async (at) => {
      const kate = await kateAccount(issuer);
      expect(await kate.share(resource('discharge-letter').id, 'mallory', ['read'])).toBe(204);
      return at;
    });
    const result = await agent.fetch(resource('discharge-letter').url, { waitSeconds: 60 });
    await approval;
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('granted');
    // What Keycloak did: 403 access_denied/request_submitted without a ticket or interval, then 200 for the same ticket.
    expect(answers[0]).toMatchObject({ status: 403, body: { error: 'access_denied', error_description: 'request_submitted' } });
    expect(answers[0]?.body.ticket).toBeUndefined();
    expect(answers[0]?.body.interval).toBeUndefined();
    // The same ticket, polled before the owner decided: the same answer again.
    expect(answers[1]).toMatchObject({ status: 403, body: { error: 'access_denied', error_description: 'request_submitted' } });
    expect(answers.at(-1)?.status).toBe(200);
    expect(new Set(answers.map((a) => a.ticket)).size).toBe(1);
    console.log(`keycloak hold: ${answers.map((a) => `${a.status} ${String(a.body.error ?? 'token')}${a.body.error_description ? `/${String(a.body.error_description)}` : ''}`).join(', ')} — granted after ${Date.now() - started} ms, ${answers.length} token requests, one ticket`);
  });

  it('the CLI: `tessera fetch --wait 60` exits 0 when Kate approves during the wait', async () => {
    const mallory = await keycloakSignIn(issuer, 'mallory', 'tessera');
    const claimFile = join(home, 'mallory.idtoken');
    await writeFile(claimFile, mallory.idToken, { mode: 0o600 });
    const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
    const approval = kateApprovesWhenAsked('blood-test', 'mallory').then(async () => {
      const kate = await kateAccount(issuer);
      expect(await kate.share(resource('blood-test').id, 'mallory', ['read'])).toBe(204);
    });
    const r = await run(['fetch', resource('blood-test').url, '--trust', issuer, '--client-id', KEYCLOAK_CLIENTS.tessera.client_id, '--client-secret', KEYCLOAK_CLIENTS.tessera.client_secret, '--claim-token', claimFile, '--wait', '60', '--json']);
    await approval;
    expect(r.stderr).not.toContain('pending');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outcome).toBe('granted');
  });
});
