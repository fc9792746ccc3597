/**
 * Signing keys and cookie keys that survive restarts: generated once per server and kept in the
 * demo's store, so ID tokens and sessions issued before a restart stay valid after it.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KeyValueStore } from './kv';

export interface ServerKeys { jwks: { keys: JWK[] }; cookieKeys: string[] }

export async function serverKeys(kv: KeyValueStore, name: string): Promise<ServerKeys> {
  const existing = kv.get<ServerKeys>(`keys:${name}`);
  if (existing) return existing;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const keys: ServerKeys = {
    jwks: { keys: [{ ...jwk, kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' }] },
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
  await kv.put(`keys:${name}`, keys);
  return keys;
}
