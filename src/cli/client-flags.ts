/**
 * The client flags `tessera fetch` and `tessera probe` share: `--client-id`, `--client-secret`,
 * `--token-auth`, `--private-key`, `--trust` (parsed by node:util parseArgs).
 */
import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { TesseraError, findTrustedAs, tokenAuthMethod, type TokenAuthMethod, type TrustPolicy } from '@tessera/uma';
import { parseHttpUrl } from '@tessera/uma/portable';

/** parseArgs option definitions. */
export const CLIENT_FLAG_OPTIONS = {
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'token-auth': { type: 'string' },
  'private-key': { type: 'string' },
  trust: { type: 'string', multiple: true },
} as const;

export const CLIENT_FLAGS_USAGE = `[--client-id ID --client-secret SECRET] [--token-auth basic|post|private_key_jwt|none]
    [--private-key JWK_FILE]`;

const AUTH = { basic: 'client_secret_basic', post: 'client_secret_post', private_key_jwt: 'private_key_jwt', none: 'none', keycloak_bearer: 'keycloak_bearer' } as const;

/** The client given on the command line (same shape as the agent's default client). */
export interface ClientFlags {
  clientId: string;
  clientSecret?: string;
  privateJwk?: JWK;
  authMethod?: TokenAuthMethod;
}

export interface ClientFlagValues {
  'client-id'?: string | undefined;
  'client-secret'?: string | undefined;
  'token-auth'?: string | undefined;
  'private-key'?: string | undefined;
  trust?: string[] | undefined;
}

/** Validates the client flags; undefined when no --client-id was given. */
export async function parseClientFlags(values: ClientFlagValues): Promise<ClientFlags | undefined> {
  let authMethod: TokenAuthMethod | undefined;
  if (values['token-auth'] !== undefined) {
    const key = values['token-auth'] as keyof typeof AUTH;
    authMethod = AUTH[key] ?? (tokenAuthMethod.safeParse(values['token-auth']).success ? (values['token-auth'] as TokenAuthMethod) : undefined);
    if (!authMethod) throw new TesseraError('usage', `Unknown --token-auth "${values['token-auth']}".`, 'Use basic, post, private_key_jwt or none.');
  }
  if (values['client-secret'] && !values['client-id']) throw new TesseraError('usage', '--client-secret needs --client-id.', 'Pass both.');
  let privateJwk: JWK | undefined;
  if (values['private-key']) {
    try {
      privateJwk = JSON.parse(await readFile(values['private-key'], 'utf8')) as JWK;
    } catch (error) {
      throw new TesseraError('usage', `Cannot read the private JWK ${values['private-key']}: ${(error as Error).message}.`, 'Pass a JSON file holding one private JWK.');
    }
    if (!privateJwk.d) throw new TesseraError('usage', `${values['private-key']} holds no private key ("d" missing).`, 'Pass the private JWK, not the public one.');
  }
  if (!values['client-id']) return undefined;
  return { clientId: values['client-id'], ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {}), ...(privateJwk ? { privateJwk } : {}), ...(authMethod ? { authMethod } : {}) };
}

/** The configured trust policy plus every `--trust ISSUER` (validated as URLs). */
export function trustWithFlags(configured: TrustPolicy, flags: string[] | undefined): TrustPolicy {
  const trust: TrustPolicy = { authorizationServers: [...configured.authorizationServers] };
  for (const issuer of flags ?? []) {
    if (!parseHttpUrl(issuer)) throw new TesseraError('usage', `--trust "${issuer}" is not an http(s) URL.`, 'Give the AS issuer URL exactly as the RS names it in as_uri.');
    if (!findTrustedAs(trust, issuer)) trust.authorizationServers.push({ issuer });
  }
  return trust;
}

/** `--header 'Name: value'` flags as a header record. */
export function parseHeaderFlags(flags: string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of flags ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new TesseraError('usage', `Bad --header "${h}".`, "Use --header 'Name: value'.");
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  return headers;
}
