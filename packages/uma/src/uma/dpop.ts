/**
 * DPoP (RFC 9449) for the requesting party: one key pair per (AS, requesting party), kept in the
 * token store under its own kind (the vault encrypts it like a token; it is never exported), the
 * decision whether a grant sends a proof (the AS's `dpop_signing_alg_values_supported`, the per-AS
 * switch), and the resource request with a DPoP-bound RPT (`Authorization: DPoP`, a proof with
 * `ath`, one retry on the RS's `use_dpop_nonce`). Proofs are made by oauth4webapi's DPoP handle;
 * keys by jose. No proof is written by hand here.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449
 */
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { SPEC, TesseraError } from '../kernel/errors';
import { storeKeys, type TokenStore } from '../kernel/store';
import { allowsInsecureRequests, requireSecureTransport } from '../kernel/urls';
import type { HttpResult } from '../http/fetch';

/**
 * The per-AS DPoP switch: `auto` (default) sends proofs where the AS advertises an algorithm
 * Tessera signs with, `on` always (a Bearer answer is then refused), `off` never.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.1
 */
export type DpopSetting = 'auto' | 'on' | 'off';

/**
 * The JWS algorithms Tessera signs DPoP proofs with, in order of preference.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.1
 */
export const DPOP_ALGS: readonly string[] = ['ES256'];

/**
 * Whether a grant at one AS sends DPoP proofs, and with which algorithm.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.1
 */
export interface DpopDecision {
  use: boolean;
  alg?: string;
  /** The switch says `on`: an AS that ignores the proof is an error, not a Bearer RPT. */
  forced: boolean;
}

/**
 * Decides DPoP for one AS from its switch and its metadata's `dpop_signing_alg_values_supported`.
 * Forced on an AS that advertises only algorithms Tessera cannot sign with: `dpop_unsupported`.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.1
 */
export function decideDpop(setting: DpopSetting | undefined, metadata: { issuer?: string; dpop_signing_alg_values_supported?: unknown }): DpopDecision {
  if (setting === 'off') return { use: false, forced: false };
  const advertised = Array.isArray(metadata.dpop_signing_alg_values_supported) ? metadata.dpop_signing_alg_values_supported.filter((a): a is string => typeof a === 'string') : undefined;
  const alg = advertised ? DPOP_ALGS.find((a) => advertised.includes(a)) : undefined;
  if (setting === 'on') {
    // An AS that does not advertise DPoP may still bind (RFC 9449 §5.1: the member is optional).
    if (advertised && advertised.length > 0 && !alg) {
      throw new TesseraError('dpop_unsupported', `The AS ${metadata.issuer ?? ''} signs DPoP proofs only with ${advertised.join(', ')}.`, `This AS cannot verify a proof signed with ${DPOP_ALGS.join(' or ')}; turn DPoP off for it.`, { spec: SPEC.dpop, facts: { ...(metadata.issuer ? { asIssuer: metadata.issuer } : {}) } });
    }
    return { use: true, alg: alg ?? DPOP_ALGS[0] as string, forced: true };
  }
  return alg ? { use: true, alg, forced: false } : { use: false, forced: false };
}

/**
 * A DPoP key ready to sign proofs: oauth4webapi's handle (it also keeps the servers' nonces) and
 * the public key's thumbprint.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-6.1
 */
export interface DpopKey {
  handle: oauth.DPoPHandle;
  /** base64url SHA-256 thumbprint of the public JWK (RFC 7638): what a bound RPT's `cnf.jkt` names. */
  jkt: string;
  alg: string;
}

/**
 * A DPoP key pair as oauth4webapi takes it (WebCrypto keys: the public one extractable).
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export type DpopKeyPair = Parameters<typeof oauth.DPoP>[1];

const dpopRecord = z.object({
  alg: z.string().min(1),
  privateJwk: z.looseObject({ kty: z.string(), d: z.string() }),
  publicJwk: z.looseObject({ kty: z.string() }),
});
type DpopRecord = z.infer<typeof dpopRecord>;

/**
 * A fresh DPoP key pair (the private key not extractable), for a proof made outside the store: the
 * probe's proof from "another key".
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export async function generateDpopKeyPair(alg = 'ES256'): Promise<DpopKeyPair> {
  return generateKeyPair(alg, { extractable: false });
}

/**
 * oauth4webapi's DPoP handle for a key pair. `tamper` changes the proof before it is signed, so the
 * probe can send a deliberately wrong one (another `htu`, `htm`); Tessera's own requests never use it.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export function dpopHandle(keyPair: DpopKeyPair, tamper?: (header: Record<string, unknown>, claims: Record<string, unknown>) => void): oauth.DPoPHandle {
  return oauth.DPoP({}, keyPair, tamper ? { [oauth.modifyAssertion]: (header, claims) => tamper(header as Record<string, unknown>, claims as Record<string, unknown>) } : {});
}

/**
 * The DPoP keys of the requesting parties, one per (AS issuer, party), in the token store (kind
 * `dpop`): the private JWK is a secret the vault encrypts, so a bound RPT still works after a
 * restart. Loaded keys are imported with a non-extractable private key, and their handles kept for
 * this process (the AS's and RS's nonces live in them).
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-2
 */
export class DpopKeys {
  readonly #handles = new Map<string, DpopKey>();
  readonly #creating = new Map<string, Promise<DpopKey>>();

  constructor(private readonly store: TokenStore) {}

  /** The party's key at this AS, created (and stored) when there is none. */
  async key(asIssuer: string, party: string, alg = 'ES256'): Promise<DpopKey> {
    const held = await this.existing(asIssuer, party);
    if (held) return held;
    const storeKey = storeKeys.dpop(asIssuer, party);
    const running = this.#creating.get(storeKey);
    if (running) return running;
    const creating = this.#create(asIssuer, party, alg).finally(() => this.#creating.delete(storeKey));
    this.#creating.set(storeKey, creating);
    return creating;
  }

  /** The party's key at this AS if one is stored (a bound RPT is presented only with its own key). */
  async existing(asIssuer: string, party: string): Promise<DpopKey | undefined> {
    const record = await this.store.get<DpopRecord>('dpop', storeKeys.dpop(asIssuer, party));
    if (!record || record.meta.identity !== party) return undefined;
    const parsed = dpopRecord.safeParse(record.value);
    if (!parsed.success) return undefined;
    return this.#load(parsed.data);
  }

  async #create(asIssuer: string, party: string, alg: string): Promise<DpopKey> {
    // Extractable once, to be stored; the key used from then on is imported without extraction.
    const pair = await generateKeyPair(alg, { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const publicJwk = await exportJWK(pair.publicKey);
    const jkt = await calculateJwkThumbprint(publicJwk, 'sha256');
    const value: DpopRecord = { alg, privateJwk: privateJwk as DpopRecord['privateJwk'], publicJwk: publicJwk as DpopRecord['publicJwk'] };
    // Another process (the app and the CLI on one vault) may have stored one meanwhile: keep theirs.
    await this.store.update<DpopRecord>('dpop', storeKeys.dpop(asIssuer, party), (current) =>
      current && current.meta.identity === party && dpopRecord.safeParse(current.value).success ? { value: current.value, meta: current.meta } : { value, meta: { issuer: asIssuer, identity: party, label: `DPoP key ${jkt}`, dpopJkt: jkt } });
    const stored = await this.existing(asIssuer, party);
    if (!stored) throw new TesseraError('internal', 'The DPoP key could not be stored.', 'Check that the vault is writable.', { spec: SPEC.dpop, facts: { asIssuer } });
    return stored;
  }

  async #load(record: DpopRecord): Promise<DpopKey> {
    const jkt = await calculateJwkThumbprint(record.publicJwk as JWK, 'sha256');
    const cached = this.#handles.get(jkt);
    if (cached) return cached;
    const privateKey = await importJWK(record.privateJwk as JWK, record.alg, { extractable: false });
    const publicKey = await importJWK(record.publicJwk as JWK, record.alg, { extractable: true });
    if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) throw new TesseraError('internal', 'The stored DPoP key is not an asymmetric key.', 'Forget this DPoP key; a new one is made on the next grant.', { spec: SPEC.dpop });
    const key: DpopKey = { handle: dpopHandle({ privateKey, publicKey }), jkt, alg: record.alg };
    if (this.#handles.size >= 256) this.#handles.delete(this.#handles.keys().next().value as string);
    this.#handles.set(jkt, key);
    return key;
  }
}

/**
 * Whether a token type is DPoP (`token_type` is case-insensitive, RFC 6749 §7.1).
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5
 */
export function isDpopTokenType(tokenType: string | undefined): boolean {
  return tokenType?.toLowerCase() === 'dpop';
}

/**
 * Whether a response demands a DPoP nonce: the AS's `{"error":"use_dpop_nonce"}` (RFC 9449 §8) or
 * the RS's `WWW-Authenticate: DPoP error="use_dpop_nonce"` (§9), with a `DPoP-Nonce` to use.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9
 */
export async function demandsDpopNonce(response: Response): Promise<boolean> {
  if (!response.headers.get('dpop-nonce') || (response.status !== 400 && response.status !== 401)) return false;
  if (/error\s*=\s*"?use_dpop_nonce/i.test(response.headers.get('www-authenticate') ?? '')) return true;
  try {
    const body = (await response.clone().json()) as { error?: unknown };
    return body?.error === 'use_dpop_nonce';
  } catch {
    return false;
  }
}

/**
 * A resource request with a DPoP-bound RPT through oauth4webapi's `protectedResourceRequest`
 * (`Authorization: DPoP <rpt>` and a proof with `ath`), sent by `send` (the engine's bounded client);
 * retried once when the RS asks for a nonce (the handle keeps the RS's `DPoP-Nonce`).
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9
 */
export async function dpopResourceRequest(url: string, method: string, headers: Record<string, string>, rpt: string, key: DpopKey, send: (headers: Record<string, string>) => Promise<HttpResult>): Promise<HttpResult> {
  // The engine's transport rule, in its words, before oauth4webapi's own https check.
  requireSecureTransport(url);
  for (let attempt = 0; ; attempt++) {
    let result: HttpResult | undefined;
    const customFetch = async (_url: string, init: { headers?: ConstructorParameters<typeof Headers>[0] }): Promise<Response> => {
      const sent: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => { sent[name] = value; });
      result = await send(sent);
      const nullBody = [101, 103, 204, 205, 304].includes(result.status);
      return new Response(nullBody ? null : result.bytes.slice(), { status: result.status, headers: result.headers });
    };
    try {
      await oauth.protectedResourceRequest(rpt, method.toUpperCase(), new URL(url), new Headers(headers), null, {
        DPoP: key.handle,
        [oauth.customFetch]: customFetch,
        ...(allowsInsecureRequests(url) ? { [oauth.allowInsecureRequests]: true } : {}),
      });
    } catch (error) {
      // Nothing came back (network, transport rule): the caller's error. Any answer, a challenge (a UMA
      // one included) or one oauth4webapi could not parse, is the caller's to read; a nonce demand is answered once.
      if (!result) throw error;
      if (attempt === 0 && oauth.isDPoPNonceError(error)) continue;
    }
    return result as HttpResult;
  }
}
