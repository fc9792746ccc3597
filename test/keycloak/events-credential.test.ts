/**
 * "Keycloak's events" given in the app (issue #23), against this run's real Keycloak: a core with no
 * demo and no credential from the environment, Kate's realm trusted by hand ("Add an authorization
 * server"). Alice's grant first shows no server side (nothing offered: not visible); the person then
 * gives the realm's view-events client in Connections: a wrong secret is refused at its field and
 * nothing is kept; the right one is kept in the vault (never in the state or config.json) and the
 * same flow's AS lane now shows Keycloak's PERMISSION_TOKEN (read back over the last minutes).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { startCore, type Core } from '../../src/app/compose';
import { eventsCredentialKey } from '../../src/app/keycloak-events';
import { startKeycloakDemo, type KeycloakDemoHandle } from '../../src/demo/keycloak/demo';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { USERS } from '../../src/demo/seed';
import { deleteAllTickets } from '../fixtures/keycloak-people';
import { formAction, HttpBrowser } from '../fixtures/http-browser';

const kc = inject('keycloak');

describe.skipIf(!kc)("Keycloak's events credential given in Connections, for a realm trusted by hand", () => {
  const issuer = kc?.issuer ?? '';
  const events = KEYCLOAK_CLIENTS.events;
  let rs: KeycloakDemoHandle;
  let core: Core;
  let home: string;
  const log: string[] = [];

  beforeAll(async () => {
    await deleteAllTickets(issuer);
    // The RS only (Keycloak is this run's); Tessera knows nothing of it but its records' addresses.
    rs = await startKeycloakDemo({ keycloakUrl: kc?.url ?? '', rsPort: 0, introspectionCacheMs: 0 });
    home = await mkdtemp(join(tmpdir(), 'tessera-kc-events-ui-'));
    core = await startCore({
      env: { TESSERA_PASSPHRASE: 'kc-events-ui-test-passphrase' }, mode: 'browser', home, log: (l) => log.push(l), demo: false,
      opener: async (url) => {
        const browser = new HttpBrowser();
        const login = await browser.open(url);
        if (login.status !== 200) throw new Error(`Keycloak login page answered ${login.status}`);
        await browser.submit(login.url, formAction(login.text, 'kc-form-login'), { username: 'alice', password: USERS.find((u) => u.username === 'alice')?.password ?? '', credentialId: '' });
      },
    });
  });
  afterAll(async () => {
    await deleteAllTickets(issuer).catch(() => undefined);
    await core?.close();
    await rs?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const flowOf = async (flowId: string) => (await core.service.getState()).flows.find((f) => f.flowId === flowId);
  async function until(what: string, test: (f: FlowView) => boolean, flowId: string): Promise<FlowView> {
    let flow: FlowView | undefined;
    for (let i = 0; i < 300; i++) {
      flow = await flowOf(flowId);
      if (flow && !flow.running && test(flow)) return flow;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}: ${JSON.stringify(flow?.server)}; log: ${log.slice(-5).join(' | ')}`);
  }

  it("without a credential the server side is not visible; a wrong secret is refused and nothing kept; the right one shows Alice's grant as PERMISSION_TOKEN in the AS lane", async () => {
    await core.service.call('addAs', { issuer, label: "Kate's realm", discoveryUrl: `${issuer}/.well-known/openid-configuration`, authMethod: 'client_secret_basic', clientId: KEYCLOAK_CLIENTS.tessera.client_id, clientSecret: KEYCLOAK_CLIENTS.tessera.client_secret });
    const trusted = (await core.service.getState()).trusted.find((t) => t.issuer === issuer);
    expect(trusted).toMatchObject({ keycloak: true, events: { credential: false, state: 'none' } });

    const alice = await core.service.call('signIn', { issuer, clientId: KEYCLOAK_CLIENTS.tessera.client_id, scope: 'openid email profile' });
    const record = rs.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    const { flowId } = await core.service.call('openResource', { url: record });
    const before = await until('the grant', (f) => f.outcome !== undefined, flowId);
    expect(before.outcome).toBe('granted');
    expect(before.server).toEqual({ visible: false, events: [] });

    await expect(core.service.call('saveKeycloakEvents', { issuer, clientId: events.client_id, clientSecret: 'not-the-secret' }))
      .rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^clientSecret: Keycloak refused the credential: 401/) });
    expect(await core.vault?.get('settings', eventsCredentialKey(issuer))).toBeUndefined();
    expect((await core.service.getState()).trusted.find((t) => t.issuer === issuer)?.events).toEqual({ credential: false, state: 'none' });
    // The RS's client may sign in but not view the realm's events.
    await expect(core.service.call('saveKeycloakEvents', { issuer, clientId: KEYCLOAK_CLIENTS.rs.client_id, clientSecret: KEYCLOAK_CLIENTS.rs.client_secret }))
      .rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^clientId: The client lacks view-events \(403\)/) });

    const saved = await core.service.call('saveKeycloakEvents', { issuer, clientId: events.client_id, clientSecret: events.client_secret });
    // Kate's realm records events, with Tessera's types.
    expect(saved.trusted.find((t) => t.issuer === issuer)?.events).toMatchObject({ credential: true, clientId: events.client_id, eventsEnabled: true });
    expect(saved.trusted.find((t) => t.issuer === issuer)?.events?.missingTypes).toBeUndefined();
    const after = await until("Keycloak's events joined", (f) => (f.server?.events.length ?? 0) >= 1, flowId);
    expect(after.server).toMatchObject({ visible: true, source: 'keycloak' });
    // Joined by the configured client (tessera); the RS's introspection by any other client (health-records).
    expect(after.server?.events.map((e) => [e.side, e.native?.type, e.native?.client])).toEqual([['as', 'PERMISSION_TOKEN', 'tessera'], ['rs', 'INTROSPECT_TOKEN', 'health-records']]);
    expect(after.server?.events[0]).toMatchObject({ kind: 'decision', outcome: 'granted', native: { user: alice.sub } });
    expect((await core.service.getState()).trusted.find((t) => t.issuer === issuer)?.events).toMatchObject({ state: 'reading', lastEventAt: expect.any(String) });

    // The secret only in the vault.
    expect((await core.vault?.get<{ clientSecret: string }>('settings', eventsCredentialKey(issuer)))?.value.clientSecret).toBe(events.client_secret);
    expect(JSON.stringify(await core.service.getState())).not.toContain(events.client_secret);
    expect(await readFile(join(home, 'config.json'), 'utf8')).not.toContain(events.client_secret);
    expect(log.join('\n')).not.toContain(events.client_secret);
  });
});
