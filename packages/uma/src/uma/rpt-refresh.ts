/**
 * The requesting party's held RPT for an RS origin, refreshed when it has expired and a refresh
 * token exists (UMA Grant §3.6 allows the AS to issue one; RFC 6749 §6). One refresh at a time per
 * (AS, RS origin, party); a failed refresh drops the refresh token so a new ticket is used.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.6
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
import type { Transcript } from '../kernel/transcript';
import { findTrustedAs, type AsConfig, type TrustPolicy } from '../kernel/trust';
import { openAs, type AsAccessDeps } from './as-access';
import { isDpopTokenType, type DpopKeys } from './dpop';
import { processUmaTokenResponse, refreshRequest } from './grant';
import type { HeldRpt, RptCache } from './rpt-cache';
import type { SingleFlight } from './single-flight';
import { lastStep } from './token-loop';

/** What a refresh works with (the agent's parts). @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.6 */
export interface RptRefreshDeps {
  rpts: RptCache;
  flights: SingleFlight;
  access: AsAccessDeps;
  transcript: Transcript;
  trust: () => TrustPolicy;
  /** The parties' DPoP keys: a bound RPT is refreshed with a proof of its own key. */
  dpop?: DpopKeys;
}

/**
 * The party's RPT for an RS origin from a trusted AS, refreshed if expired and refreshable.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.6
 */
export async function heldRpt(d: RptRefreshDeps, rsOrigin: string, party: string, flowId: string, signal?: AbortSignal): Promise<HeldRpt | undefined> {
  const trust = d.trust();
  const [held] = await d.rpts.held(rsOrigin, party, (issuer) => findTrustedAs(trust, issuer) !== undefined);
  if (!held || held.usable || !held.value.refresh_token) return held;
  const config = findTrustedAs(trust, held.asIssuer) as AsConfig;
  return d.flights.run(held.key, async () => {
    const again = await d.rpts.get(held.asIssuer, rsOrigin, party);
    if (!again) return undefined;
    if (again.value.access_token !== held.value.access_token) return { ...held, value: again.value, usable: true, storedAt: again.meta.updatedAt };
    try {
      const access = await openAs(d.access, held.asIssuer, config, { flowId, ...(signal ? { signal } : {}) });
      // A bound RPT's refresh carries a proof of the same key (RFC 9449 §5); without that key it cannot be refreshed.
      const key = held.value.dpop_jkt ? await d.dpop?.existing(held.asIssuer, party) : undefined;
      if (held.value.dpop_jkt && key?.jkt !== held.value.dpop_jkt) throw new Error('DPoP key gone');
      const response = await refreshRequest(access.discovered.metadata, access.client, held.value.refresh_token as string, key ? { ...access.ctx, dpop: key.handle } : access.ctx);
      const result = await processUmaTokenResponse(response);
      const step = lastStep(d.transcript, flowId, 'refresh');
      if (result.type === 'token') {
        if (step) d.transcript.annotate(step, { outcome: 'rpt_issued' });
        await d.rpts.save(held.asIssuer, rsOrigin, party, { ...result.token, refreshToken: result.token.refreshToken ?? (held.value.refresh_token as string), ...(key && isDpopTokenType(result.token.tokenType) ? { dpopJkt: key.jkt } : {}) });
        const fresh = await d.rpts.get(held.asIssuer, rsOrigin, party);
        return fresh ? { ...held, value: fresh.value, usable: true, storedAt: fresh.meta.updatedAt } : undefined;
      }
      if (step) d.transcript.annotate(step, { outcome: 'error', note: 'refresh failed: a new ticket will be used' });
    } catch {
      // fall through: drop the refresh token, a new ticket will be obtained
    }
    return { ...held, value: await d.rpts.dropRefresh(held.asIssuer, rsOrigin, party, held.value), usable: false };
  });
}
