/**
 * The requesting party's identities — one per (OpenID provider, subject), several at once — kept in
 * the token store (kind `identity`, key `issuer#sub`): the ID token, the refresh token, the client
 * used, and a few display claims. Only metadata (issuer, subject, email, expiry) is ever shown.
 */
import type { JWTPayload } from 'jose';
import { TesseraError } from '../kernel/errors';
import { NOBODY } from '../kernel/party';
import { storeKeys, type TokenStore } from '../kernel/store';
import type { ProviderClient, SignedIn } from './oidc';

/**
 * A signed-in identity as stored (tokens included: store values are secret).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export interface IdentityRecord {
  issuer: string;
  sub: string;
  clientId: string;
  clientSecret?: string;
  scope: string;
  idToken: string;
  refreshToken?: string;
  idTokenExpiresAt: number;
  claims: { email?: string; email_verified?: boolean; name?: string; role?: string };
}

/**
 * A non-secret description of a signed-in identity.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export interface IdentitySummary { key: string; issuer: string; sub: string; email?: string; name?: string; role?: string; expiresAt: number; refreshable: boolean }

const display = (c: JWTPayload): IdentityRecord['claims'] => ({
  ...(typeof c.email === 'string' ? { email: c.email } : {}),
  ...(typeof c.email_verified === 'boolean' ? { email_verified: c.email_verified } : {}),
  ...(typeof c.name === 'string' ? { name: c.name } : {}),
  ...(typeof c.role === 'string' ? { role: c.role } : {}),
});

/**
 * The requesting parties signed in on this machine: their ID tokens and refresh tokens in the store.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export class Identities {
  constructor(private readonly store: TokenStore) {}

  /** Keeps a completed sign-in as the identity `issuer#sub`. */
  async save(provider: ProviderClient, signed: SignedIn): Promise<IdentityRecord> {
    const sub = String(signed.claims.sub);
    const record: IdentityRecord = {
      issuer: provider.issuer, sub, clientId: provider.clientId, ...(provider.clientSecret ? { clientSecret: provider.clientSecret } : {}),
      scope: signed.scope, idToken: signed.idToken, ...(signed.refreshToken ? { refreshToken: signed.refreshToken } : {}),
      idTokenExpiresAt: signed.idTokenExpiresAt, claims: display(signed.claims),
    };
    const key = storeKeys.identity(provider.issuer, sub);
    await this.store.put('identity', key, record, { issuer: provider.issuer, identity: key, clientId: provider.clientId, expiresAt: signed.idTokenExpiresAt, label: record.claims.email ?? record.claims.name ?? sub });
    return record;
  }

  /** Every held identity, tokens included (for the privileged side only). */
  async all(): Promise<(IdentityRecord & { key: string; updatedAt: number })[]> {
    const metas = await this.store.list('identity');
    const out: (IdentityRecord & { key: string; updatedAt: number })[] = [];
    for (const meta of metas) {
      const r = await this.store.get<IdentityRecord>('identity', meta.key);
      if (r) out.push({ ...r.value, key: meta.key, updatedAt: meta.updatedAt });
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** Non-secret descriptions of the held identities. */
  async summaries(): Promise<IdentitySummary[]> {
    return (await this.all()).map((r) => ({ key: r.key, issuer: r.issuer, sub: r.sub, ...r.claims, expiresAt: r.idTokenExpiresAt, refreshable: Boolean(r.refreshToken) }));
  }

  /** Finds identities by `issuer#sub`, email, subject or issuer. */
  async find(hint: string): Promise<(IdentityRecord & { key: string })[]> {
    return (await this.all()).filter((r) => r.key === hint || r.claims.email === hint || r.sub === hint || r.issuer === hint);
  }

  /** Forgets one identity; whether it was held. */
  async remove(key: string): Promise<boolean> {
    if ((await this.actingAs()) === key) await this.store.delete('settings', ACTING_AS);
    return this.store.delete('identity', key);
  }

  /**
   * Resolves what a person typed (`issuer#sub`, email, subject, or `nobody`) to one party.
   * Ambiguous or unknown names are errors: acting for the wrong person must never be a guess.
   */
  async resolve(hint: string): Promise<string> {
    if (hint === NOBODY) return NOBODY;
    const found = await this.find(hint);
    if (found.length === 1) return found[0]!.key;
    if (found.length === 0) throw new TesseraError('identity_not_found', `No signed-in identity matches "${hint}".`, 'Sign in as that person first, or name them by issuer#subject.', { facts: { party: hint } });
    throw new TesseraError('identity_not_found', `"${hint}" matches ${found.length} signed-in identities.`, 'Name the identity by issuer#subject.', { facts: { party: hint } });
  }

  /** Who Tessera acts for by default (shared by the app and the CLI): the last chosen, or nobody. */
  async actingAs(): Promise<string> {
    const record = await this.store.get<{ party: string }>('settings', ACTING_AS);
    const party = record?.value.party;
    if (!party || party === NOBODY) return NOBODY;
    return (await this.store.get('identity', party)) ? party : NOBODY;
  }

  /** Which requesting party fetches act for by default. */
  async setActingAs(party: string): Promise<void> {
    if (party !== NOBODY && !(await this.store.get('identity', party))) throw new TesseraError('identity_not_found', `${party} is not signed in.`, 'Sign in as that person first.', { facts: { party } });
    await this.store.put('settings', ACTING_AS, { party }, { label: 'acting as', identity: party });
  }
}

const ACTING_AS = 'acting-as';
