/**
 * The engine's ClaimsSource over held identities, bound to the requesting party a flow acts for: it
 * returns only that party's own ID token (never another held identity's — UMA Grant §1.3: claims
 * speak for one requesting party), refreshed first when it has expired and a refresh token allows.
 * Whether the token answers `required_claims` is the engine's one rule (packages/uma/src/uma/claims.ts).
 * The engine calls it only for ASes the user trusts (UMA Grant §5.7).
 */
import type { HttpClient } from '../http/fetch';
import { TesseraError } from '../kernel/errors';
import { NOBODY } from '../kernel/party';
import type { TokenStore } from '../kernel/store';
import { ID_TOKEN_FORMAT, type ClaimsRequest, type ClaimsSource, type ClaimToken } from '../uma/ports';
import { Identities, type IdentityRecord } from './identities';
import { refresh } from './oidc';

/** Seconds of validity an ID token must still have to be pushed. */
const MIN_VALIDITY_MS = 60_000;

/**
 * What {@link IdentityClaimsSource} needs: the store of identities and an HTTP client for refreshes.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export interface IdentityClaimsSourceOptions {
  /** The clock (epoch ms) that decides whether an ID token has expired. */
  now?: () => number;
  /** The engine's HTTP client (transcript, bounds), looked up when needed: a refresh is a step of the fetch's flow. */
  http?: () => HttpClient | undefined;
}

/**
 * A claims source that pushes the acting party's own ID token, refreshed at their provider when expired.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export class IdentityClaimsSource implements ClaimsSource {
  readonly #identities: Identities;
  readonly #now: () => number;
  readonly #http: () => HttpClient | undefined;
  constructor(store: TokenStore, options: IdentityClaimsSourceOptions = {}) {
    this.#identities = new Identities(store);
    this.#now = options.now ?? Date.now;
    this.#http = options.http ?? (() => undefined);
  }

  /** The acting party's own ID token (refreshed when expired), never another party's. */
  async claimTokenFor(request: ClaimsRequest): Promise<ClaimToken | undefined> {
    if (request.party === NOBODY || request.party.startsWith('token:')) return undefined;
    const [record] = (await this.#identities.all()).filter((r) => r.key === request.party);
    if (!record) throw new TesseraError('identity_not_found', `The identity you are acting as (${request.party}) is no longer signed in.`, 'Sign in again as that person, or choose someone else to act as.', { facts: { party: request.party } });
    const fresh = await this.#fresh(record, request);
    return { claim_token: fresh.idToken, claim_token_format: ID_TOKEN_FORMAT, identity: record.key };
  }

  async #fresh(record: IdentityRecord & { key: string }, request: ClaimsRequest): Promise<IdentityRecord> {
    if (record.idTokenExpiresAt - MIN_VALIDITY_MS > this.#now()) return record;
    const facts = { idpIssuer: record.issuer, clientId: record.clientId, party: record.key };
    if (!record.refreshToken) throw new TesseraError('identity_expired', `Your sign-in at ${record.issuer} (${record.claims.email ?? record.sub}) has expired and cannot be refreshed.`, `Sign in again at ${record.issuer}.`, { facts });
    const provider = { issuer: record.issuer, clientId: record.clientId, ...(record.clientSecret ? { clientSecret: record.clientSecret } : {}), scope: record.scope };
    const http = this.#http();
    const signed = await refresh(provider, record.refreshToken, record.idToken, { ...(http ? { http } : {}), ...(request.flowId ? { flowId: request.flowId } : {}), ...(request.signal ? { signal: request.signal } : {}) });
    if (String(signed.claims.sub) !== record.sub) throw new TesseraError('identity_expired', `${record.issuer} refreshed the sign-in for a different person.`, `Sign in again at ${record.issuer}.`, { facts });
    return this.#identities.save(provider, signed);
  }
}
