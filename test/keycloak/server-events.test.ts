/**
 * Keycloak's side of a flow in the End-to-end diagram (issue #23), against this run's real Keycloak:
 * the app composed for the Keycloak demo follows the realm's events through the Admin REST API with
 * the demo realm's view-events client (kept in the vault, never in the state the UI gets), and a real
 * UMA grant shows Keycloak's decision in the AS lane and the RS's introspection; a request Keycloak
 * files for Kate shows its error (access_denied, request_submitted).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { startCore, type Core } from '../../src/app/compose';
import { eventsCredentialKey } from '../../src/app/keycloak-events';
import { USERS } from '../../src/demo/seed';
import { layoutFlow } from '../../renderer/components/sequence/layout';
import { decodeJwt } from 'jose';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { KeycloakEventsFeed } from '../../src/app/keycloak-events';
import { correlate } from '../../src/app/server-events';
import { KEYCLOAK_CLIENTS, REALM } from '../../src/demo/keycloak/server';
import { deleteAllTickets, keycloakSignIn } from '../fixtures/keycloak-people';
import { formAction, HttpBrowser } from '../fixtures/http-browser';

const kc = inject('keycloak');

describe.skipIf(!kc)("Keycloak's own events as the server side of a flow", () => {
  const issuer = kc?.issuer ?? '';
  let core: Core;
  let home: string;
  let who = 'alice';
  const log: string[] = [];

  beforeAll(async () => {
    await deleteAllTickets(issuer);
    home = await mkdtemp(join(tmpdir(), 'tessera-kc-events-'));
    core = await startCore({
      env: { TESSERA_PASSPHRASE: 'kc-events-test-passphrase' }, mode: 'browser', home, log: (l) => log.push(l),
      demo: { keycloak: { keycloakUrl: kc?.url ?? '', rsPort: 0, introspectionCacheMs: 0 } },
      opener: async (url) => {
        const browser = new HttpBrowser();
        const login = await browser.open(url);
        if (login.status !== 200) throw new Error(`Keycloak login page answered ${login.status}`);
        const password = USERS.find((u) => u.username === who)?.password ?? '';
        await browser.submit(login.url, formAction(login.text, 'kc-form-login'), { username: who, password, credentialId: '' });
      },
    });
  });
  afterAll(async () => {
    await deleteAllTickets(issuer).catch(() => undefined);
    await core?.close();
    await rm(home, { recursive: true, force: true });
  });

  const url = (name: string) => core.keycloak?.rs.resources.find((r) => r.name === name)?.url ?? '';
  /** Opens a record and waits until the flow ends and Keycloak's events about it have been read (polled every 2 s). */
  async function open(name: string, until: (f: FlowView) => boolean): Promise<FlowView> {
    const { flowId } = await core.service.call('openResource', { url: url(name) });
    let flow: FlowView | undefined;
    for (let i = 0; i < 300; i++) {
      flow = (await core.service.getState()).flows.find((f) => f.flowId === flowId);
      if (flow && !flow.running && until(flow)) return flow;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no server events joined the flow: ${JSON.stringify(flow?.server)}; log: ${log.slice(-5).join(' | ')}`);
  }
  const signInAs = async (username: string) => {
    who = username;
    return core.service.call('signIn', { issuer, clientId: 'tessera', scope: 'openid email profile', switchUser: true });
  };

  it("Alice's grant: Keycloak's PERMISSION_TOKEN in the AS lane (an RPT issued to tessera), the RS's introspection; the credential stays in the vault", async () => {
    const alice = await signInAs('alice');
    const flow = await open('prescriptions', (f) => (f.server?.events.length ?? 0) >= 2);
    expect(flow.outcome).toBe('granted');
    expect(flow.server).toMatchObject({ visible: true, source: 'keycloak' });
    const events = flow.server?.events ?? [];
    expect(events.map((e) => [e.side, e.kind, e.native?.type])).toEqual([['as', 'decision', 'PERMISSION_TOKEN'], ['rs', 'introspection', 'INTROSPECT_TOKEN']]);
    expect(events[0]).toMatchObject({ outcome: 'granted', native: { server: 'keycloak', client: 'tessera', user: alice.sub } });
    // The RPT's jti (Keycloak's token_id) only as a fingerprint, the same on the decision and the introspection.
    expect(events[0]?.native?.tokenId).toMatch(/^fp:/);
    expect(events[1]?.native?.tokenId).toBe(events[0]?.native?.tokenId);
    const jti = flow.steps.flatMap((s) => s.tokens ?? []).map((t) => t.jwt?.claims.jti).find((j) => typeof j === 'string' && j.startsWith('ntrtna:'));
    expect(jti).toBeDefined();
    expect(JSON.stringify(flow.server)).not.toContain(String(jti));
    // The lane model: the AS's decision inside the token request, the introspection inside the RS call that returned the record.
    const layout = layoutFlow(flow.steps, { server: events });
    const server = layout.messages.filter((m) => m.server);
    expect(server.map((m) => `${m.from}>${m.to}:${m.tone}`)).toEqual(['as>as:ok', 'rs>as:neutral', 'as>rs:ok']);
    expect(server[0]?.detail).toContain('PERMISSION_TOKEN: RPT issued to tessera');
    const tokenStep = flow.steps.findIndex((s) => s.kind === 'token');
    expect(server[0]?.step).toBe(tokenStep);
    expect(server[1]?.step).toBe(flow.steps.length - 1);
    // The events credential is in the vault, never in what the UI gets.
    expect((await core.vault?.get<{ clientId: string }>('settings', eventsCredentialKey(issuer)))?.value.clientId).toBe('tessera-events');
    const state = JSON.stringify(await core.service.getState());
    expect(state).not.toContain('tessera-events-demo-secret');
    expect(log.join('\n')).not.toContain('tessera-events-demo-secret');
  });

  it("Mallory's grant: Keycloak's PERMISSION_TOKEN_ERROR (access_denied, request_submitted) in the AS lane, as a pending decision", async () => {
    const mallory = await signInAs('mallory');
    const flow = await open('prescriptions', (f) => (f.server?.events.length ?? 0) >= 1);
    expect(flow.outcome).toBe('pending');
    const events = flow.server?.events ?? [];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ side: 'as', kind: 'decision', outcome: 'request_submitted', status: 403, native: { type: 'PERMISSION_TOKEN_ERROR', error: 'access_denied', reason: 'request_submitted', client: 'tessera', user: mallory.sub } });
    const [note] = layoutFlow(flow.steps, { server: events }).messages.filter((m) => m.server);
    expect(note).toMatchObject({ from: 'as', to: 'as', tone: 'pending' });
    expect(note?.detail).toContain('PERMISSION_TOKEN_ERROR (access_denied, request_submitted)');
    // Alice's events of the earlier flow are not Mallory's.
    expect(events.some((e) => e.native?.type === 'PERMISSION_TOKEN')).toBe(false);
  });

  it("a refusal (submit_request=false): the feed itself reads Keycloak's PERMISSION_TOKEN_ERROR (access_denied, not_authorized), joined to that flow as a denial", async () => {
    const signedIn = await keycloakSignIn(issuer, 'mallory');
    const sub = String(decodeJwt(signedIn.idToken).sub);
    const party = `${issuer}#${sub}`;
    const agent = createAgent({
      store: new MemoryStore(), party, trust: { authorizationServers: [{ issuer, submitRequest: false }] },
      defaultClient: { clientId: KEYCLOAK_CLIENTS.tessera.client_id, clientSecret: KEYCLOAK_CLIENTS.tessera.client_secret },
      claims: { claimTokenFor: async () => ({ claim_token: signedIn.idToken, claim_token_format: ID_TOKEN_FORMAT, identity: party }) },
    });
    const result = await agent.fetch(url('bills'));
    expect(result.outcome).toBe('denied');
    const feed = new KeycloakEventsFeed({ url: kc?.url ?? '', realm: REALM, credential: { clientId: KEYCLOAK_CLIENTS.events.client_id, clientSecret: KEYCLOAK_CLIENTS.events.client_secret }, clients: { tessera: ['tessera'], rs: ['health-records'] }, intervalMs: 60_000 });
    try {
      await feed.nextPoll();
      const steps = result.steps.map((s) => ({ ...s, status: s.status ?? null })) as unknown as FlowView['steps'];
      const flow: FlowView = { flowId: result.flowId, url: url('bills'), startedAt: steps[0]?.time ?? '', running: false, party, asIssuer: issuer, steps };
      const joined = correlate(flow, feed.events);
      expect(joined.map((e) => [e.side, e.kind, e.outcome, e.status, e.native?.type, e.native?.error, e.native?.reason, e.native?.user])).toEqual([['as', 'decision', 'denied', 403, 'PERMISSION_TOKEN_ERROR', 'access_denied', 'not_authorized', sub]]);
      const [note] = layoutFlow(flow.steps, { server: joined }).messages.filter((m) => m.server);
      expect(note).toMatchObject({ from: 'as', tone: 'bad' });
      expect(note?.detail).toContain('refused');
    } finally {
      feed.close();
    }
  });

  it("a wrong credential, or one without view-events: Keycloak refuses, the feed says so without the secret and reads nothing", async () => {
    for (const [credential, said] of [
      [{ clientId: KEYCLOAK_CLIENTS.events.client_id, clientSecret: 'not-the-secret' }, /refused the events credential \(401\)/],
      // The RS's client can sign in but may not view the realm's events.
      [{ clientId: KEYCLOAK_CLIENTS.rs.client_id, clientSecret: KEYCLOAK_CLIENTS.rs.client_secret }, /events answered 403 \(the credential needs realm-management view-events\)/],
    ] as const) {
      const lines: string[] = [];
      const feed = new KeycloakEventsFeed({ url: kc?.url ?? '', realm: REALM, credential, clients: { tessera: ['tessera'], rs: ['health-records'] }, intervalMs: 60_000, log: (l) => lines.push(l) });
      try {
        await feed.nextPoll();
        expect(feed.readable).toBe(false);
        expect(feed.events).toHaveLength(0);
        expect(lines.join('\n')).toMatch(said);
        expect(lines.join('\n')).not.toContain(credential.clientSecret);
      } finally {
        feed.close();
      }
    }
  });
});
