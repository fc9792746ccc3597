/**
 * What a demo setup puts into the app, whichever servers play the parts: the records bookmarked,
 * the AS trusted (with Tessera's client credentials in the vault), the identity provider offered for
 * sign-in, and the people and the owner's page for the Demo people panel. Two setups exist: the
 * built-in demo (Hospital ID, Kate's AS, the RS) and a real Keycloak (Kate's realm is both the AS and
 * the identity provider, the RS speaks to it through the UMA protection API).
 */
import type { DemoConfig } from '../demo';
import type { KeycloakDemoConfig } from '../demo/keycloak/demo';
import { storeKeys, type TokenStore, findTrustedAs, type AsConfig, type TrustPolicy } from '@tessera/uma';
import type { ProviderView, ResourceView } from './api';

export interface DemoSetup {
  as: {
    issuer: string;
    label: string;
    /** Where the resource owner approves requests (the demo AS's dashboard, Keycloak's account console). */
    dashboardUrl: string;
    dashboardLabel: string;
    /** Discovery document when the UMA one lacks something Tessera uses (Keycloak: revocation). */
    discoveryUrl?: string;
    tesseraClient: { client_id: string; client_secret: string };
  };
  /** `label`: the provider as listed for sign-in; `name`: where the people sign in, for the Demo people panel. */
  idp: { issuer: string; label: string; name: string; clientId: string; scope: string };
  rs: { resources: { url: string; title: string }[] };
  users: { username: string; password: string; name: string; role: string; at: 'idp' | 'as' }[];
}

const people = (users: DemoSetup['users']): DemoSetup['users'] => users.map(({ username, password, name, role, at }) => ({ username, password, name, role, at }));

/** The built-in demo: Hospital ID signs people in, Kate's AS decides. */
export function builtInDemoSetup(config: Pick<DemoConfig, 'as' | 'idp' | 'rs' | 'users'>): DemoSetup {
  return {
    as: { issuer: config.as.issuer, label: "Kate's AS (demo)", dashboardUrl: config.as.dashboardUrl, dashboardLabel: 'owner dashboard', tesseraClient: { client_id: config.as.tesseraClient.client_id, client_secret: config.as.tesseraClient.client_secret } },
    idp: { issuer: config.idp.issuer, label: 'Hospital ID (demo)', name: 'Hospital ID', clientId: config.idp.tesseraClient.client_id, scope: 'openid email profile role offline_access' },
    rs: { resources: config.rs.resources.map(({ url, title }) => ({ url, title })) },
    users: people(config.users),
  };
}

/**
 * Keycloak: Kate's realm is the AS and the identity provider. Keycloak accepts a pushed ID token only
 * when it was issued to the client making the UMA grant ("Token issued to a different client"), so
 * people sign in with the same confidential `tessera` client; the service finds its secret with the
 * AS's client credentials (same issuer, same client id). Keycloak's UMA discovery document has no
 * revocation endpoint; its OpenID configuration has one, and every endpoint the grant needs.
 */
export function keycloakDemoSetup(config: KeycloakDemoConfig): DemoSetup {
  const k = config.keycloak;
  return {
    as: { issuer: k.issuer, label: "Kate's Keycloak realm (demo)", dashboardUrl: k.accountConsole, dashboardLabel: 'Keycloak account console', discoveryUrl: `${k.issuer}/.well-known/openid-configuration`, tesseraClient: { client_id: k.clients.tessera.client_id, client_secret: k.clients.tessera.client_secret } },
    idp: { issuer: k.issuer, label: 'Keycloak (demo)', name: 'Keycloak', clientId: k.clients.tessera.client_id, scope: 'openid email profile' },
    rs: { resources: config.rs.resources.map(({ url, title }) => ({ url, title })) },
    users: people(config.users),
  };
}

export interface DemoTargets {
  /** `removedDemo`: demo resources the person removed; they are not bookmarked again. */
  settings: { resources: ResourceView[]; providers: ProviderView[]; removedDemo?: string[] };
  trust: TrustPolicy;
  store: TokenStore;
}

/**
 * Puts the setup into the settings, trust and vault (in place). Bookmarks that an earlier demo
 * added and this one does not have (another setup, other ports) go; the person's own stay.
 * @returns whether the trust policy changed (to be saved).
 */
export async function applyDemoSetup(demo: DemoSetup, t: DemoTargets): Promise<boolean> {
  const urls = new Set(demo.rs.resources.map((r) => r.url));
  t.settings.resources = t.settings.resources.filter((r) => !r.fromDemo || urls.has(r.url));
  for (const r of demo.rs.resources) if (!t.settings.resources.some((x) => x.url === r.url) && !t.settings.removedDemo?.includes(r.url)) t.settings.resources.push({ url: r.url, title: r.title, origin: new URL(r.url).origin, fromDemo: true });
  if (!t.settings.providers.some((p) => p.issuer === demo.idp.issuer)) t.settings.providers.push({ issuer: demo.idp.issuer, clientId: demo.idp.clientId, label: demo.idp.label, scope: demo.idp.scope });
  const as: AsConfig = { issuer: demo.as.issuer, label: demo.as.label, ...(demo.as.discoveryUrl ? { discoveryUrl: demo.as.discoveryUrl } : {}) };
  let trustChanged = false;
  if (!findTrustedAs(t.trust, demo.as.issuer)) {
    t.trust.authorizationServers.push(as);
    trustChanged = true;
  }
  const c = demo.as.tesseraClient;
  await t.store.put('client', storeKeys.client(demo.as.issuer), { client_id: c.client_id, client_secret: c.client_secret, auth_method: 'client_secret_basic', registration: 'static' }, { issuer: demo.as.issuer, clientId: c.client_id });
  return trustChanged;
}
