/**
 * The engine's ClaimsSource over held identities: picks the ID token to push for a `need_info`
 * (UMA Grant §3.3.6 `required_claims`: format, issuer, claim name) or the identity the user named,
 * refreshes it first when it has expired and a refresh token allows, and otherwise tells the user to
 * sign in again. The engine calls it only for ASes the user trusts (UMA Grant §5.7).
 */
import { TesseraError } from '../kernel/errors';
import type { TokenStore } from '../kernel/store';
import { ID_TOKEN_FORMAT, type ClaimsRequest, type ClaimsSource, type ClaimToken, type RequiredClaim } from '../uma/ports';
import { Identities, type IdentityRecord } from './identities';
import { refresh } from './oidc';

/** Seconds of validity an ID token must still have to be pushed. */
const MIN_VALIDITY_MS = 60_000;

function claimValue(record: IdentityRecord, name: string): unknown {
  if (name === 'sub') return record.sub;
  return (record.claims as Record<string, unknown>)[name];
}

/** How well an identity answers `required_claims`: undefined if it cannot, else the number of named claims it carries. */
export function matchScore(record: IdentityRecord, required: RequiredClaim[]): number | undefined {
  const pushable = required.filter((r) => !r.claim_token_format || r.claim_token_format.includes(ID_TOKEN_FORMAT));
  if (pushable.length === 0) return undefined;
  const fromIssuer = pushable.filter((r) => !r.issuer || r.issuer.includes(record.issuer));
  if (fromIssuer.length === 0) return undefined;
  const named = fromIssuer.filter((r) => r.name !== undefined);
  if (named.length === 0) return 0;
  const carried = named.filter((r) => claimValue(record, r.name as string) !== undefined).length;
  return carried > 0 ? carried : undefined;
}

export interface IdentityClaimsSourceOptions { now?: () => number }

export class IdentityClaimsSource implements ClaimsSource {
  readonly #identities: Identities;
  readonly #now: () => number;
  constructor(store: TokenStore, options: IdentityClaimsSourceOptions = {}) {
    this.#identities = new Identities(store);
    this.#now = options.now ?? Date.now;
  }

  async claimTokenFor(request: ClaimsRequest): Promise<ClaimToken | undefined> {
    let candidates: (IdentityRecord & { key: string })[] = await this.#identities.all();
    if (request.identityHint) {
      candidates = await this.#identities.find(request.identityHint);
      if (candidates.length === 0) throw new TesseraError('identity_not_found', `No signed-in identity matches "${request.identityHint}".`, 'Run tessera whoami to see who is signed in, or tessera login.');
    }
    if (candidates.length === 0) return undefined;
    let chosen: (IdentityRecord & { key: string }) | undefined;
    if (request.requiredClaims && request.requiredClaims.length > 0) {
      const scored = candidates.map((c) => ({ c, score: matchScore(c, request.requiredClaims ?? []) })).filter((x) => x.score !== undefined);
      scored.sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
      chosen = scored[0]?.c;
    } else if (request.identityHint || candidates.length === 1) {
      // Before any need_info: push only when it is unambiguous who the user is.
      chosen = candidates[0];
    }
    if (!chosen) return undefined;
    const fresh = await this.#fresh(chosen);
    return { claim_token: fresh.idToken, claim_token_format: ID_TOKEN_FORMAT, identity: chosen.key };
  }

  async #fresh(record: IdentityRecord & { key: string }): Promise<IdentityRecord> {
    if (record.idTokenExpiresAt - MIN_VALIDITY_MS > this.#now()) return record;
    const login = `tessera login --issuer ${record.issuer} --client-id ${record.clientId}`;
    if (!record.refreshToken) throw new TesseraError('identity_expired', `Your sign-in at ${record.issuer} (${record.claims.email ?? record.sub}) has expired and cannot be refreshed.`, `Sign in again: ${login}`);
    const provider = { issuer: record.issuer, clientId: record.clientId, ...(record.clientSecret ? { clientSecret: record.clientSecret } : {}), scope: record.scope };
    const signed = await refresh(provider, record.refreshToken, record.idToken);
    if (String(signed.claims.sub) !== record.sub) throw new TesseraError('identity_expired', `${record.issuer} refreshed the sign-in for a different person.`, `Sign in again: ${login}`);
    return this.#identities.save(provider, signed);
  }
}
