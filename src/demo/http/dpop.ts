/**
 * DPoP proof checks for the demo AS's token endpoint and the demo RS (RFC 9449 §4.3), with jose for
 * the signature and the key thumbprint (the same calls oidc-provider's own DPoP validation makes:
 * `jwtVerify` with `EmbeddedJWK`, `calculateJwkThumbprint`), a bounded memory of `jti`s seen, and
 * server nonces (§8 at the AS, §9 at the RS) derived from a per-process secret and the time.
 * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-4.3
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { z } from 'zod';

/**
 * The asymmetric JWS algorithms the demo accepts in a proof (advertised as
 * `dpop_signing_alg_values_supported`). `Ed25519` is the fully-specified name oauth4webapi signs
 * Ed25519 keys with by default; `EdDSA` the older one.
 * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-5.1
 */
export const DPOP_ALGS = ['ES256', 'PS256', 'RS256', 'EdDSA', 'Ed25519'] as const;

/** A proof that is refused: `invalid_dpop_proof`, or `use_dpop_nonce` with the nonce to use. */
export class DpopProblem extends Error {
  constructor(readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce', message: string, readonly nonce?: string) {
    super(message);
  }
}

export interface DpopVerifierOptions {
  /** Ask for a server nonce in every proof (RFC 9449 §8/§9). */
  requireNonce?: boolean;
  /** How far `iat` may lie in the past or the future (seconds, default 60). */
  iatWindow?: number;
  /** How many `jti`s are remembered at most (default 10 000); the oldest go first. */
  maxRemembered?: number;
  /** How long a nonce stays current (seconds, default 300; the previous one is still accepted). */
  nonceLifetime?: number;
}

export interface DpopRequest {
  /** The request's DPoP header fields, each one (Node's `req.headersDistinct.dpop`). */
  proofs: string[] | undefined;
  method: string;
  /** The URL the request was sent to; its query and fragment do not count (§4.3 check 9). */
  url: string;
  /** At the RS: the access token presented with the proof, whose hash `ath` must be (§4.3 check 11). */
  accessToken?: string;
}

/** What a valid proof tells: the thumbprint of its key (`cnf.jkt`, RFC 7638). */
export interface DpopProof { jkt: string; jti: string }

const MAX_PROOF = 8 * 1024;
const Claims = z.object({
  jti: z.string().min(1).max(256),
  htm: z.string().min(1).max(16),
  htu: z.string().min(1).max(2000),
  iat: z.number().int(),
  ath: z.string().max(100).optional(),
  nonce: z.string().max(200).optional(),
});

/** base64url SHA-256 of an access token: the `ath` a proof carries for it (RFC 9449 §4.2). */
export const accessTokenHash = (token: string) => createHash('sha256').update(token, 'ascii').digest('base64url');

function withoutQuery(value: string): string | undefined {
  const url = URL.parse(value);
  if (!url) return undefined;
  url.search = '';
  url.hash = '';
  return url.href;
}

/** Checks DPoP proofs for one endpoint family (the AS's token endpoint, or the RS's resources). */
export class DpopVerifier {
  readonly requireNonce: boolean;
  readonly #iatWindow: number;
  readonly #max: number;
  readonly #nonceLifetime: number;
  readonly #secret = randomBytes(32);
  /** `jkt.jti` hash → when it may be forgotten (ms); a Map keeps insertion order, so the oldest are first. */
  readonly #seen = new Map<string, number>();

  constructor(options: DpopVerifierOptions = {}) {
    this.requireNonce = options.requireNonce ?? false;
    this.#iatWindow = options.iatWindow ?? 60;
    this.#max = options.maxRemembered ?? 10_000;
    this.#nonceLifetime = options.nonceLifetime ?? 300;
  }

  #nonceAt(slot: number): string {
    return createHmac('sha256', this.#secret).update(String(slot)).digest('base64url');
  }

  /** How many `jti`s are held now (never more than `maxRemembered`). */
  get remembered(): number {
    return this.#seen.size;
  }

  /** The nonce to hand out now (`DPoP-Nonce`). */
  nonce(): string {
    return this.#nonceAt(Math.floor(Date.now() / 1000 / this.#nonceLifetime));
  }

  #nonceValid(nonce: string): boolean {
    const slot = Math.floor(Date.now() / 1000 / this.#nonceLifetime);
    return nonce === this.#nonceAt(slot) || nonce === this.#nonceAt(slot - 1);
  }

  /** Remembers a jti; false when it was seen already (a replay). */
  #remember(jkt: string, jti: string): boolean {
    const now = Date.now();
    for (const [key, until] of this.#seen) {
      if (until > now && this.#seen.size < this.#max) break;
      this.#seen.delete(key);
    }
    const key = createHash('sha256').update(`${jkt}.${jti}`).digest('base64url');
    if (this.#seen.has(key)) return false;
    // A jti is kept as long as its proof's iat can pass the window check (past and future).
    this.#seen.set(key, now + 2 * this.#iatWindow * 1000);
    return true;
  }

  /**
   * Checks one request's proof (RFC 9449 §4.3), in the RFC's order: one header, a JWT of type
   * `dpop+jwt` signed with an allowed asymmetric algorithm by the public key in its `jwk`, `htm` and
   * `htu` of this request, `iat` recent, `ath` of the token (at an RS), the nonce when asked for, and a
   * `jti` not seen before. Throws {@link DpopProblem}; the caller decides what no proof at all means.
   * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-4.3
   */
  async verify(request: DpopRequest): Promise<DpopProof> {
    const proofs = request.proofs ?? [];
    if (proofs.length !== 1 || !proofs[0]) throw new DpopProblem('invalid_dpop_proof', proofs.length > 1 ? 'more than one DPoP header' : 'a DPoP proof is required');
    const proof = proofs[0];
    if (proof.length > MAX_PROOF) throw new DpopProblem('invalid_dpop_proof', 'the DPoP proof is too large');
    let payload: unknown;
    let jwk: JWK | undefined;
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGS] });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk;
    } catch (error) {
      throw new DpopProblem('invalid_dpop_proof', `the DPoP proof does not verify: ${error instanceof Error ? error.message : String(error)}`);
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success || !jwk) throw new DpopProblem('invalid_dpop_proof', `the DPoP proof lacks a claim or has one of the wrong type (${claims.error?.issues.map((i) => i.path.join('.')).join(', ') ?? 'jwk'})`);
    const { jti, htm, htu, iat, ath, nonce } = claims.data;
    if (htm !== request.method.toUpperCase()) throw new DpopProblem('invalid_dpop_proof', `the DPoP proof is for ${htm}, not ${request.method}`);
    const expected = withoutQuery(request.url);
    if (withoutQuery(htu) !== expected) throw new DpopProblem('invalid_dpop_proof', `the DPoP proof's htu is not ${expected}`);
    const now = Math.floor(Date.now() / 1000);
    if (Math.abs(now - iat) > this.#iatWindow) throw new DpopProblem('invalid_dpop_proof', `the DPoP proof's iat is not within ${this.#iatWindow} s of now`);
    if (request.accessToken !== undefined && ath !== accessTokenHash(request.accessToken)) throw new DpopProblem('invalid_dpop_proof', "the DPoP proof's ath is not the hash of the access token presented");
    if (nonce !== undefined ? !this.#nonceValid(nonce) : this.requireNonce) {
      throw new DpopProblem('use_dpop_nonce', nonce === undefined ? 'this server requires a nonce in the DPoP proof' : 'the nonce in the DPoP proof is not current', this.nonce());
    }
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    if (!this.#remember(jkt, jti)) throw new DpopProblem('invalid_dpop_proof', 'this DPoP proof was used before (jti replayed)');
    return { jkt, jti };
  }
}
