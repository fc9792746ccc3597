/**
 * The request builder's Keycloak options through the app's service (the contract the UI calls),
 * against this run's Keycloak and Kate's realm: Alice signs in at Keycloak's login page, then asks
 * Keycloak without a ticket for the decision, the permission list, and an RPT that the request then
 * presents. No token reaches the state the UI gets.
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiInput, FlowView } from '../../src/app/api';
import { startCore, type Core } from '../../src/app/compose';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { USERS } from '../../src/demo/seed';
import { deleteAllTickets } from '../fixtures/keycloak-people';
import { formAction, HttpBrowser } from '../fixtures/http-browser';

const kc = inject('keycloak');
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/;

describe.skipIf(!kc)('the request builder’s Keycloak options against a real Keycloak (app service)', () => {
  const issuer = kc?.issuer ?? '';
  const audience = KEYCLOAK_CLIENTS.rs.client_id;
  let core: Core;
  let home: string;

  beforeAll(async () => {
    await deleteAllTickets(issuer);
    home = await mkdtemp(join(tmpdir(), 'tessera-kc-options-'));
    core = await startCore({
      env: { TESSERA_PASSPHRASE: 'kc-options-test-passphrase' }, mode: 'browser', home,
      demo: { keycloak: { keycloakUrl: kc?.url ?? '', rsPort: 0, introspectionCacheMs: 0 } },
      opener: async (url) => {
        const browser = new HttpBrowser();
        const login = await browser.open(url);
        const password = USERS.find((u) => u.username === 'alice')?.password ?? '';
        await browser.submit(login.url, formAction(login.text, 'kc-form-login'), { username: 'alice', password, credentialId: '' });
      },
    });
    await core.service.call('signIn', { issuer, clientId: 'tessera', scope: 'openid email profile', switchUser: true });
  });
  afterAll(async () => {
    await core?.close();
    await rm(home, { recursive: true, force: true });
    await deleteAllTickets(issuer).catch(() => undefined);
  });

  const url = (name: string) => core.keycloak?.rs.resources.find((r) => r.name === name)?.url ?? '';
  // Kate owns her records: Keycloak resolves a permission's resource by id (a name only among the RS's own resources).
  const id = (name: string) => core.keycloak?.rs.resources.find((r) => r.name === name)?.id ?? '';
  async function finished(flowId: string): Promise<FlowView> {
    for (let i = 0; i < 400; i++) {
      const flow = (await core.service.getState()).flows.find((f) => f.flowId === flowId);
      if (flow && !flow.running) return flow;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('flow did not finish');
  }
  async function ask(name: string, keycloak: Omit<NonNullable<ApiInput<'openResource'>['keycloak']>, 'asIssuer'> & { asIssuer?: string }): Promise<FlowView> {
    const { flowId } = await core.service.call('openResource', { url: url(name), keycloak: { asIssuer: issuer, ...keycloak } });
    return finished(flowId);
  }

  it('marks the realm as Keycloak, so the builder offers the options', async () => {
    expect((await core.service.getState()).trusted).toEqual([expect.objectContaining({ issuer, keycloak: true })]);
  });

  it('decision: granted for prescriptions#read, not granted for bills#read; nothing goes to the RS', async () => {
    const yes = await ask('prescriptions', { audience, permissions: [`${id('prescriptions')}#read`], responseMode: 'decision' });
    expect(yes).toMatchObject({ outcome: 'granted', status: null, keycloak: { mode: 'decision', granted: true }, asIssuer: issuer });
    const wire = (f: FlowView) => f.steps.filter((s) => s.kind !== 'discovery').map((s) => `${s.kind}:${s.status}`);
    expect(wire(yes)).toEqual(['token:200']);
    const body = yes.steps.find((s) => s.kind === 'token')?.request.body ?? '';
    expect(body).toContain('response_mode=decision');
    expect(body).toContain(`audience=${audience}`);
    expect(body).not.toContain('ticket=');
    const no = await ask('bills', { audience, permissions: [`${id('bills')}#read`], responseMode: 'decision' });
    expect(no).toMatchObject({ outcome: 'denied', keycloak: { mode: 'decision', granted: false } });
    // Keycloak answers a refused decision with 403, never {"result":false} (reference/real-servers.md).
    expect(wire(no)).toEqual(['token:403']);
  });

  it('permissions: the list holds what is granted, not what is refused', async () => {
    const listed = await ask('prescriptions', { audience, permissions: [`${id('prescriptions')}#read`, `${id('bills')}#read`], responseMode: 'permissions' });
    expect(listed).toMatchObject({ outcome: 'granted', keycloak: { mode: 'permissions', granted: true, permissions: [{ resource: 'prescriptions', scopes: ['read'] }] } });
  });

  it('an RPT without a ticket (submit_request off), then the request presents it: granted at once, and no token in the state', async () => {
    const flow = await ask('prescriptions', { audience, permissions: [`${id('prescriptions')}#read`], submitRequest: false });
    expect(flow.error).toBeUndefined();
    expect(flow).toMatchObject({ outcome: 'granted', status: 200, access: 'held', keycloak: { mode: 'token', granted: true, permissions: [{ resource: 'prescriptions', scopes: ['read'] }] } });
    expect(flow.steps.filter((s) => s.kind !== 'discovery').map((s) => `${s.kind}:${s.status}`)).toEqual(['token:200', 'resource:200']);
    expect(flow.steps.find((s) => s.kind === 'token')?.request.body).toContain('submit_request=false');
    expect(JSON.parse(flow.body ?? '{}').kind).toBe('prescriptions');
    const state = await core.service.getState();
    expect(JSON.stringify(state)).not.toMatch(JWT);
  });

  it("a refusal in token mode is said (Keycloak's error), a realm that is not trusted gets nothing", async () => {
    // By name, Kate's record is not found: Keycloak looks names up among the RS's own resources only.
    const byName = await ask('prescriptions', { audience, permissions: ['prescriptions#read'], responseMode: 'decision' });
    expect(byName).toMatchObject({ outcome: 'error', keycloak: { refused: expect.stringMatching(/invalid_resource.*prescriptions/) } });
    const refused = await ask('prescriptions', { audience: 'no-such-client', permissions: [`${id('prescriptions')}#read`] });
    expect(refused.outcome).toBe('error');
    expect(refused.keycloak?.refused).toMatch(/invalid_request.*no-such-client/);
    const untrusted = await ask('prescriptions', { asIssuer: 'http://127.0.0.1:9/realms/other', audience });
    expect(untrusted).toMatchObject({ outcome: 'error', error: { code: 'untrusted_as' } });
    expect(untrusted.steps).toEqual([]);
  });

  // Last: the probe revokes the refresh tokens of the RPTs it obtained, which ends Alice's Keycloak session.
  it("Check this AS with Keycloak's decision checks: the acting person's permissions beside real grants", async () => {
    const { runId } = await core.service.call('checkAs', { issuer, resource: url('prescriptions'), only: ['keycloak'], keycloak: { permitted: `${id('prescriptions')}#read`, denied: `${id('prescriptions')}#write` } });
    let run = await core.service.call('getCheckRun', { runId });
    for (let i = 0; i < 600 && run.running; i++) {
      await new Promise((r) => setTimeout(r, 50));
      run = await core.service.call('getCheckRun', { runId });
    }
    const verdict = (checkId: string) => run.checks.find((c) => c.id === checkId);
    expect(verdict('keycloak.decision-permitted')).toMatchObject({ status: 'pass', detail: expect.stringContaining('200 {"result":true}') });
    expect(verdict('keycloak.decision-denied')).toMatchObject({ status: 'deviation', detail: expect.stringContaining('The decision says yes') });
    expect(verdict('keycloak.permissions')?.status).toBe('pass');
    expect(JSON.stringify(run)).not.toMatch(JWT);
  });
});
