/**
 * The RPTs Tessera holds, keyed by (AS issuer, RS origin, requesting party): an RPT represents the
 * claims of the party it was issued for, so it is only ever presented while acting for that party
 * (UMA Grant §1.3, §3.3.5). Expired RPTs are refreshed when a refresh token allows (§3.6: refresh
 * does not re-assess); records written before tokens were bound to a party are never presented.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.6
 */
import { decodeJwt } from 'jose';
import { fingerprint } from '../kernel/redact';
import { storeKeys, type RecordMeta, type StoredRecord, type TokenStore } from '../kernel/store';
import type { GrantedToken } from './grant';

/**
 * What an RPT record holds (secret).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export interface RptValue {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  /** Epoch ms, from expires_in or the JWT's exp. */
  expires_at?: number;
  /**
   * A DPoP-bound RPT (`token_type: DPoP`): the thumbprint of the party's DPoP key it is bound to. It
   * is presented only with a proof of that key (RFC 9449 §7).
   */
  dpop_jkt?: string;
}

/**
 * An RPT held for one (AS, RS origin, party), and whether it may still be presented.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export interface HeldRpt {
  asIssuer: string;
  key: string;
  value: RptValue;
  /** Not expired (with a small skew). */
  usable: boolean;
  /** When the record was stored (epoch ms). */
  storedAt: number;
}

const EXPIRY_SKEW_MS = 5_000;

/**
 * RPTs kept in the token store per (AS, RS origin, requesting party), with their expiry; never one person's for another.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.6
 */
export class RptCache {
  /** (RS origin, party) → AS issuer of the RPT used last: a hint that saves a listing. */
  readonly #lastIssuer = new Map<string, string>();

  constructor(private readonly store: TokenStore, private readonly now: () => number = Date.now) {}

  key(asIssuer: string, rsOrigin: string, party: string): string {
    return storeKeys.rpt(asIssuer, rsOrigin, party);
  }

  async get(asIssuer: string, rsOrigin: string, party: string): Promise<StoredRecord<RptValue> | undefined> {
    const record = await this.store.get<RptValue>('rpt', this.key(asIssuer, rsOrigin, party));
    // Defence in depth: a record whose meta names another party is never handed out.
    return record && record.meta.identity === party ? record : undefined;
  }

  /**
   * The RPTs held for `party` at `rsOrigin`, newest first, from ASes `trusted` accepts. Records of
   * other parties, and records of unknown party (written by older versions), are never returned.
   */
  async held(rsOrigin: string, party: string, trusted: (issuer: string) => boolean): Promise<HeldRpt[]> {
    const hint = this.#lastIssuer.get(`${rsOrigin} ${party}`);
    if (hint && trusted(hint)) {
      const record = await this.get(hint, rsOrigin, party);
      if (record) return [this.#held(hint, record)];
    }
    const metas = (await this.store.list('rpt'))
      .filter((m) => m.rsOrigin === rsOrigin && m.identity === party && m.issuer && trusted(m.issuer))
      .sort((a, b) => b.updatedAt - a.updatedAt);
    const out: HeldRpt[] = [];
    for (const meta of metas) {
      const record = await this.get(meta.issuer as string, rsOrigin, party);
      if (record) out.push(this.#held(meta.issuer as string, record));
    }
    if (out[0]) this.#lastIssuer.set(`${rsOrigin} ${party}`, out[0].asIssuer);
    return out;
  }

  #held(asIssuer: string, record: StoredRecord<RptValue>): HeldRpt {
    const expired = record.value.expires_at !== undefined && record.value.expires_at - EXPIRY_SKEW_MS <= this.now();
    return { asIssuer, key: record.meta.key, value: record.value, usable: !expired, storedAt: record.meta.updatedAt };
  }

  /**
   * Stores a newly issued RPT for `party`. `upgraded` absent or false: the new RPT replaces the old
   * one; it is never assumed to be merged (UMA Grant §3.3.5).
   */
  async save(asIssuer: string, rsOrigin: string, party: string, token: Pick<GrantedToken, 'accessToken' | 'tokenType' | 'expiresIn' | 'refreshToken'> & { dpopJkt?: string }): Promise<void> {
    let expiresAt = token.expiresIn !== undefined ? this.now() + token.expiresIn * 1000 : undefined;
    let permissions: RecordMeta['permissions'];
    try {
      const claims = decodeJwt(token.accessToken) as { exp?: number; authorization?: { permissions?: { rsid?: string; resource_id?: string; scopes?: string[]; resource_scopes?: string[] }[] }; permissions?: { rsid?: string; resource_id?: string; scopes?: string[]; resource_scopes?: string[] }[] };
      if (expiresAt === undefined && typeof claims.exp === 'number') expiresAt = claims.exp * 1000;
      const list = claims.authorization?.permissions ?? claims.permissions;
      if (Array.isArray(list)) permissions = list.map((p) => ({ resource_id: String(p.rsid ?? p.resource_id ?? ''), resource_scopes: p.scopes ?? p.resource_scopes ?? [] }));
    } catch {
      // opaque RPT
    }
    const value: RptValue = { access_token: token.accessToken, token_type: token.tokenType, ...(token.refreshToken ? { refresh_token: token.refreshToken } : {}), ...(expiresAt !== undefined ? { expires_at: expiresAt } : {}), ...(token.dpopJkt ? { dpop_jkt: token.dpopJkt } : {}) };
    await this.store.put<RptValue>('rpt', this.key(asIssuer, rsOrigin, party), value, {
      issuer: asIssuer,
      rsOrigin,
      identity: party,
      fingerprint: fingerprint(token.accessToken),
      // How it is presented, in the meta too (public: a thumbprint), so a listing shows it without the secret.
      tokenType: token.tokenType,
      ...(token.dpopJkt ? { dpopJkt: token.dpopJkt } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(permissions ? { permissions } : {}),
    });
    this.#lastIssuer.set(`${rsOrigin} ${party}`, asIssuer);
  }

  /** Keeps the RPT but drops a refresh token the AS no longer accepts. */
  async dropRefresh(asIssuer: string, rsOrigin: string, party: string, value: RptValue): Promise<RptValue> {
    const { refresh_token: _dropped, ...rest } = value;
    await this.store.put<RptValue>('rpt', this.key(asIssuer, rsOrigin, party), rest, { issuer: asIssuer, rsOrigin, identity: party, fingerprint: fingerprint(rest.access_token), tokenType: rest.token_type, ...(rest.dpop_jkt ? { dpopJkt: rest.dpop_jkt } : {}), ...(rest.expires_at !== undefined ? { expiresAt: rest.expires_at } : {}) });
    return rest;
  }

  async delete(asIssuer: string, rsOrigin: string, party: string): Promise<boolean> {
    return this.store.delete('rpt', this.key(asIssuer, rsOrigin, party));
  }
}
