/**
 * Token administration for the Tokens screen and `tessera vault`: list what is held (metadata
 * only), forget an RPT or PCT — revoking it at its AS first where the AS offers RFC 7009 revocation
 * and is still trusted — and sign a requesting party out of every AS (all of their PCTs).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.7
 */
import { randomUUID } from 'node:crypto';
import { normalizeIssuer, findTrustedAs, type TrustPolicy } from '../kernel/trust';
import { storeKeys, type RecordMeta, type TokenStore } from '../kernel/store';
import { openAs, type AsAccessDeps } from './as-access';
import { revokeToken } from './grant';
import type { RptValue } from './rpt-cache';

/**
 * A persisted claims token (PCT) as the store keeps it.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export interface PctValue {
  pct: string;
}

/**
 * Forgets RPTs and PCTs, revoking them at their AS (RFC 7009) when it is still trusted.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.7
 */
export class TokenAdmin {
  constructor(private readonly o: { store: TokenStore; trust: () => TrustPolicy; access: AsAccessDeps }) {}

  /** Non-secret descriptions of held RPTs and PCTs. */
  async tokens(): Promise<RecordMeta[]> {
    return [...(await this.o.store.list('rpt')), ...(await this.o.store.list('pct'))];
  }

  /** Forgets one RPT or PCT record by its store key; revokes it first when asked and possible. */
  async forget(kind: 'rpt' | 'pct', key: string, options: { revoke?: boolean } = {}): Promise<boolean> {
    const record = await this.o.store.get<RptValue & PctValue>(kind, key);
    if (!record) return false;
    const token = kind === 'rpt' ? record.value.access_token : record.value.pct;
    if (options.revoke && record.meta.issuer && token) await this.#revoke(normalizeIssuer(record.meta.issuer), token, kind === 'rpt' ? 'access_token' : 'pct').catch(() => undefined);
    return this.o.store.delete(kind, key);
  }

  /** Forgets the RPT held for (AS, RS origin, party). */
  async forgetRpt(asIssuer: string, rsOrigin: string, party: string, options: { revoke?: boolean } = {}): Promise<boolean> {
    return this.forget('rpt', storeKeys.rpt(normalizeIssuer(asIssuer), rsOrigin, party), options);
  }

  /** Forgets the PCT of `party` for `clientId` at an AS. */
  async forgetPct(asIssuer: string, party: string, clientId: string, options: { revoke?: boolean } = {}): Promise<boolean> {
    return this.forget('pct', storeKeys.pct(normalizeIssuer(asIssuer), party, clientId), options);
  }

  /** Sign-out of a requesting party: revoke (where possible) and forget all of their PCTs and RPTs, and their DPoP keys. */
  async signOut(party: string): Promise<number> {
    let count = 0;
    for (const kind of ['pct', 'rpt'] as const) {
      for (const meta of await this.o.store.list(kind)) {
        if (meta.identity !== party) continue;
        if (await this.forget(kind, meta.key, { revoke: true })) count++;
      }
    }
    // Their DPoP keys go too: the RPTs bound to them are gone, and a key is as personal as a token.
    for (const meta of await this.o.store.list('dpop')) if (meta.identity === party) await this.o.store.delete('dpop', meta.key);
    return count;
  }

  async #revoke(asIssuer: string, token: string, hint: 'pct' | 'access_token'): Promise<void> {
    const config = findTrustedAs(this.o.trust(), asIssuer);
    if (!config) return; // nothing is sent to an AS the user no longer trusts
    const access = await openAs(this.o.access, asIssuer, config, { flowId: randomUUID() });
    if (!access.discovered.metadata.revocation_endpoint) return;
    await revokeToken(access.discovered.metadata, access.client, token, hint, access.ctx);
  }
}
