/**
 * The input of `addAs` (Connections, "Add an authorization server"): what config.json can say about
 * a trusted AS for the CLI (packages/uma/src/kernel/trust.ts `AsConfig`) — issuer, a discovery URL or manual
 * endpoints, client id and client authentication — plus the secret or private key, which the core
 * puts in the vault (src/app/as-setup.ts). Pure zod and kernel rules, so api.ts stays light.
 *
 * Messages are plain words: the Connections form shows them next to the field.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7 (trust)
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (issuer and endpoints: https)
 */
import { z } from 'zod';
import { isSecureOrLoopback } from '@tessera/uma/portable';

export const ONLY_HTTP = 'Only http(s) addresses';
export const HTTPS_RULE = 'Use https — plain http only for this machine';
export const NO_USERINFO = 'No user name or password in the address (they would be kept in config.json in plain text)';

/**
 * An absolute http(s) URL, https unless it points at this machine (packages/uma/src/kernel/urls.ts), without
 * userinfo (`user:password@`): the address goes to config.json, and credentials belong in the vault.
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-3.2.1 (userinfo is deprecated)
 */
export const secureHttpUrl = z.string().trim().max(2048)
  .refine((u) => /^https?:\/\/[^\s]+$/i.test(u) && URL.canParse(u), ONLY_HTTP)
  .refine((u) => !URL.canParse(u) || isSecureOrLoopback(u), HTTPS_RULE)
  .refine((u) => !URL.canParse(u) || (new URL(u).username === '' && new URL(u).password === ''), NO_USERINFO);

/**
 * The per-AS DPoP switch as config.json spells it (packages/uma/src/kernel/trust.ts `dpop`): `auto`
 * sends proofs where the AS advertises `dpop_signing_alg_values_supported`, `on` always, `off` never.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.1
 */
export const DPOP_SETTINGS = ['auto', 'on', 'off'] as const;
export const dpopSetting = z.enum(DPOP_SETTINGS);

/** How Tessera authenticates at the token endpoint, or `dynamic`: register itself (RFC 7591). */
export const AS_CLIENT_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none', 'dynamic'] as const;

export const addAsInput = z.object({
  issuer: secureHttpUrl,
  label: z.string().trim().max(200).optional(),
  /** Where the metadata is when not at `{issuer}/.well-known/uma2-configuration` (ForgeRock AM). */
  discoveryUrl: secureHttpUrl.optional(),
  /** Manual endpoints for an AS without discovery (WSO2 IS); the token endpoint at least. */
  tokenEndpoint: secureHttpUrl.optional(),
  claimsInteractionEndpoint: secureHttpUrl.optional(),
  registrationEndpoint: secureHttpUrl.optional(),
  revocationEndpoint: secureHttpUrl.optional(),
  clientId: z.string().trim().max(200).optional(),
  authMethod: z.enum(AS_CLIENT_METHODS),
  clientSecret: z.string().max(4096).optional(),
  /** A private JWK (JSON) or a PKCS#8 PEM private key, for private_key_jwt (RFC 7523). */
  privateKey: z.string().max(32 * 1024).optional(),
  /** Sender-constrained RPTs (RFC 9449); absent: the AS keeps its current setting (a new one: `auto`). */
  dpop: dpopSetting.optional(),
}).strict().superRefine((v, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (v.discoveryUrl && v.tokenEndpoint) issue('tokenEndpoint', 'Give a discovery address or a token endpoint, not both');
  if (!v.tokenEndpoint) {
    for (const k of ['claimsInteractionEndpoint', 'registrationEndpoint', 'revocationEndpoint'] as const) if (v[k]) issue(k, 'Other endpoints need the token endpoint too');
  }
  if (v.authMethod === 'dynamic') {
    if (v.clientId || v.clientSecret || v.privateKey) issue('clientId', 'With dynamic registration Tessera gets its own client id; leave the client fields empty');
    if (v.tokenEndpoint && !v.registrationEndpoint) issue('registrationEndpoint', 'Dynamic registration needs the registration endpoint');
    return;
  }
  if (!v.clientId) issue('clientId', 'Give the client id');
  if ((v.authMethod === 'client_secret_basic' || v.authMethod === 'client_secret_post') && !v.clientSecret) issue('clientSecret', 'Give the client secret');
  if (v.authMethod === 'private_key_jwt' && !v.privateKey?.trim()) issue('privateKey', 'Give the private key (JWK or PEM)');
  if (v.authMethod !== 'client_secret_basic' && v.authMethod !== 'client_secret_post' && v.clientSecret) issue('clientSecret', 'A secret is only used with client_secret_basic or client_secret_post');
  if (v.authMethod !== 'private_key_jwt' && v.privateKey) issue('privateKey', 'A private key is only used with private_key_jwt');
});
export type AddAsInput = z.output<typeof addAsInput>;
