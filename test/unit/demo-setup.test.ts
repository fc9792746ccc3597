/**
 * A demo setup in the app: what it bookmarks, trusts and stores (built-in demo and Keycloak), how a
 * second setup replaces the first one's bookmarks but not the person's own, and the sign-in client:
 * a provider that is also a trusted AS with the same confidential client signs in with its secret.
 */
import { describe, expect, it } from 'vitest';
import type { ResourceView } from '../../src/app/api';
import { applyDemoSetup, builtInDemoSetup, keycloakDemoSetup } from '../../src/app/demo-setup';
import { providerClient } from '../../src/app/provider-client';
import { AS_TESSERA_CLIENT, IDP_TESSERA_CLIENT, USERS } from '../../src/demo/seed';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import type { TrustPolicy } from '../../packages/uma/src/kernel/trust';

const builtIn = builtInDemoSetup({
  idp: { issuer: 'http://127.0.0.1:4401', tesseraClient: { ...IDP_TESSERA_CLIENT } },
  as: { issuer: 'http://127.0.0.1:4402', dashboardUrl: 'http://127.0.0.1:4402/dashboard', tesseraClient: { ...AS_TESSERA_CLIENT } },
  rs: { url: 'http://127.0.0.1:4403', resources: [{ id: '1', name: 'prescriptions', title: "Kate's prescriptions", url: 'http://127.0.0.1:4403/patients/kate/prescriptions', scopes: ['read'], owner: 'kate' }] },
  users: USERS,
});
const kcIssuer = 'http://127.0.0.1:4404/realms/kate';
const keycloak = keycloakDemoSetup({
  keycloak: { url: 'http://127.0.0.1:4404', issuer: kcIssuer, realm: 'kate', version: '26.7.3', accountConsole: `${kcIssuer}/account`, clients: KEYCLOAK_CLIENTS },
  rs: { url: 'http://127.0.0.1:4405', resources: [{ id: 'a', name: 'prescriptions', title: "Kate's prescriptions", url: 'http://127.0.0.1:4405/patients/kate/prescriptions', scopes: ['read'], owner: 'kate' }] },
  users: USERS,
});

describe('demo setups', () => {
  it('Keycloak: the realm is the AS (OpenID configuration for discovery) and the provider, with the confidential client', async () => {
    const store = new MemoryStore();
    const targets = { settings: { resources: [] as ResourceView[], providers: [] }, trust: { authorizationServers: [] } as TrustPolicy, store };
    expect(await applyDemoSetup(keycloak, targets)).toBe(true);
    expect(targets.trust.authorizationServers).toEqual([{ issuer: kcIssuer, label: "Kate's Keycloak realm (demo)", discoveryUrl: `${kcIssuer}/.well-known/openid-configuration` }]);
    expect(targets.settings.providers).toEqual([{ issuer: kcIssuer, clientId: 'tessera', label: 'Keycloak (demo)', scope: 'openid email profile' }]);
    expect((await store.get('client', storeKeys.client(kcIssuer)))?.value).toEqual({ client_id: 'tessera', client_secret: 'tessera-demo-secret', auth_method: 'client_secret_basic', registration: 'static' });
    expect(keycloak.as).toMatchObject({ dashboardUrl: `${kcIssuer}/account`, dashboardLabel: 'Keycloak account console' });
    expect(keycloak.idp.name).toBe('Keycloak');
    // Applied again (the next start): nothing new to save.
    expect(await applyDemoSetup(keycloak, targets)).toBe(false);
    expect(targets.settings.resources).toHaveLength(1);
  });

  it("a second setup replaces the first one's bookmarks; the person's own bookmarks stay", async () => {
    const mine: ResourceView = { url: 'https://photos.example/42', title: 'My photo', origin: 'https://photos.example', fromDemo: false };
    const targets = { settings: { resources: [mine], providers: [] }, trust: { authorizationServers: [] } as TrustPolicy, store: new MemoryStore() };
    await applyDemoSetup(builtIn, targets);
    expect(targets.settings.resources.map((r) => r.url)).toEqual([mine.url, 'http://127.0.0.1:4403/patients/kate/prescriptions']);
    await applyDemoSetup(keycloak, targets);
    expect(targets.settings.resources.map((r) => r.url)).toEqual([mine.url, 'http://127.0.0.1:4405/patients/kate/prescriptions']);
    expect(targets.trust.authorizationServers.map((a) => a.issuer)).toEqual(['http://127.0.0.1:4402', kcIssuer]);
  });

  it("sign-in uses the AS's client secret only for the same issuer and the same client id", async () => {
    const store = new MemoryStore();
    await applyDemoSetup(keycloak, { settings: { resources: [], providers: [] }, trust: { authorizationServers: [] }, store });
    expect(await providerClient(store, { issuer: kcIssuer, clientId: 'tessera', scope: 'openid' })).toEqual({ issuer: kcIssuer, clientId: 'tessera', clientSecret: 'tessera-demo-secret', scope: 'openid' });
    // The provider's issuer is kept exactly as given (OIDC Discovery §4.3): a trailing slash is not dropped.
    expect((await providerClient(store, { issuer: `${kcIssuer}/`, clientId: 'tessera' })).issuer).toBe(`${kcIssuer}/`);
    expect(await providerClient(store, { issuer: kcIssuer, clientId: 'tessera-public' })).toEqual({ issuer: kcIssuer, clientId: 'tessera-public' });
    expect(await providerClient(store, { issuer: 'http://127.0.0.1:4401', clientId: 'tessera' })).toEqual({ issuer: 'http://127.0.0.1:4401', clientId: 'tessera' });
  });
});
