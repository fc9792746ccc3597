/**
 * "Hospital ID", the demo OpenID provider where requesting parties (Dr. Alice, Sam, the insurer,
 * Mallory) sign in. oidc-provider with its own sign-in page (not the library's dev interactions),
 * accounts with `email`, `email_verified`, `name` and `role`, and Tessera pre-registered as a native
 * public client: loopback redirect on any port (RFC 8252 §7.3), PKCE S256 required (RFC 7636).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { type KeyValueStore } from '../store/kv';
import { oidcAdapterFactory, purgeLegacyOidcEntries } from '../store/oidc-adapter';
import { serverKeys } from '../store/keys';
import { closeServer, guarded, html, HttpError, page, readForm, safeEqual, sendHtml, type RawHtml } from '../http/util';
import { IDP_AS_CLIENT, IDP_TESSERA_CLIENT, USERS, type DemoUser } from '../seed';

const BRAND = 'Hospital ID';

export interface IdpHandle { issuer: string; close(): Promise<void> }

export interface IdpOptions { kv: KeyValueStore; server: Server; issuer: string; asIssuer: string; log: (line: string) => void }

const idpUsers = () => USERS.filter((u) => u.at === 'idp');
const findUser = (username: string): DemoUser | undefined => idpUsers().find((u) => u.username === username);

export function verifyPassword(username: string, password: string): DemoUser | undefined {
  const user = findUser(username.trim().toLowerCase());
  return user && safeEqual(user.password, password) ? user : undefined;
}

export async function startIdp(options: IdpOptions): Promise<IdpHandle> {
  const { server, issuer } = options;
  const keys = await serverKeys(options.kv, 'idp');
  await purgeLegacyOidcEntries(options.kv);

  const configuration: Configuration = {
    adapter: oidcAdapterFactory(options.kv),
    clients: [
      {
        client_id: IDP_TESSERA_CLIENT.client_id,
        client_name: 'Tessera',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: [IDP_TESSERA_CLIENT.redirect_uri],
        post_logout_redirect_uris: ['http://127.0.0.1/oidc/logout-callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        client_id: IDP_AS_CLIENT.client_id,
        client_secret: IDP_AS_CLIENT.client_secret,
        client_name: "Kate's authorization server (claims gathering)",
        redirect_uris: [`${options.asIssuer}/uma/claims/oidc-callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: keys.jwks as Configuration['jwks'],
    cookies: { keys: keys.cookieKeys, long: { sameSite: 'lax' }, short: { sameSite: 'lax' } },
    findAccount: (_ctx, id) => {
      const user = findUser(id);
      if (!user) return undefined;
      return {
        accountId: user.username,
        claims: () => ({ sub: user.username, email: user.email, email_verified: true, name: user.name, role: user.role }),
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'role'], role: ['role'] },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'role'],
    // Put the granted scopes' claims in the ID token itself: Tessera pushes the ID token to the AS
    // as its claim token (UMA Grant §3.3.1), so the AS must find `email` and `role` in it.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // A client may revoke only its own tokens (RFC 7009 §2.1).
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      rpInitiatedLogout: { enabled: true },
    },
    // Native apps get refresh tokens without `offline_access` consent ceremony: first-party demo client.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Tessera and the AS are first-party clients of Hospital ID: consent is implied, no consent page.
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const client = ctx.oidc.client;
      if (!accountId || !client) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(client.clientId);
      if (grantId) {
        const grant = await ctx.oidc.provider.Grant.find(grantId);
        if (grant) return grant;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId });
      grant.addOIDCScope('openid email profile role offline_access');
      await grant.save();
      ctx.oidc.session?.ensureClientContainer(client.clientId);
      ctx.oidc.session?.grantIdFor(client.clientId, grant.jti);
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 120, Interaction: 900, Session: 8 * 3600, Grant: 30 * 86400, RefreshToken: 14 * 86400 },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', html`<div class="card"><h1>Something went wrong</h1><p class="error">${out.error}</p><p>${out.error_description ?? ''}</p></div>`, BRAND);
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx: KoaContextWithOIDC, error: Error) => options.log(`idp server_error: ${error.message}`));
  const oidc = provider.callback();

  server.on('request', guarded(async (req, res, url) => {
    const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(url.pathname);
    if (match) return interaction(provider, req, res, match[2] ?? '', options.log);
    await oidc(req, res);
  }, options.log, issuer));

  return { issuer, close: () => closeServer(server) };
}

function loginPage(uid: string, clientName: string, error?: string, login = ''): RawHtml {
  return html`<div class="card"><h1>Sign in to Hospital ID</h1>
<p><strong>${clientName}</strong> asks you to sign in.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login" autocomplete="off">
<label for="login">Username</label><input id="login" name="login" type="text" value="${login}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<p><button type="submit">Sign in</button></p></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit" class="secondary">Cancel</button></form></div>
<div class="card muted"><p>Demo accounts: ${idpUsers().map((u) => html`<code>${u.username}</code> / <code>${u.password}</code> (${u.role}) `)}</p></div>`;
}

async function interaction(provider: Provider, req: IncomingMessage, res: ServerResponse, action: string, log: (line: string) => void): Promise<void> {
  let details: Awaited<ReturnType<Provider['interactionDetails']>>;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    sendHtml(res, 400, page('Sign-in expired', html`<div class="card"><h1>This sign-in has expired</h1><p>Go back to the application and start again.</p></div>`, BRAND));
    return;
  }
  const client = await provider.Client.find(String(details.params.client_id ?? ''));
  const clientName = client?.clientName ?? String(details.params.client_id ?? 'An application');
  if (req.method === 'GET' && action === '') {
    if (details.prompt.name === 'login') return sendHtml(res, 200, page('Sign in', loginPage(details.uid, clientName), BRAND));
    if (details.prompt.name === 'consent') {
      // First-party clients: consent is implied (also when the client asks for prompt=consent).
      const accountId = details.session?.accountId;
      if (!accountId) throw new HttpError(400, 'invalid_request', 'no signed-in account');
      const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined)
        ?? new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method !== 'POST') throw new HttpError(405, 'invalid_request', 'method not allowed');
  if (action === '/abort') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' }, { mergeWithLastSubmission: false });
    return;
  }
  const form = await readForm(req);
  const user = verifyPassword(form.login ?? '', form.password ?? '');
  if (!user) {
    log(`idp: failed sign-in for "${(form.login ?? '').slice(0, 40)}"`);
    sendHtml(res, 401, page('Sign in', loginPage(details.uid, clientName, 'Unknown username or wrong password.', form.login ?? ''), BRAND));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: user.username } }, { mergeWithLastSubmission: false });
}

