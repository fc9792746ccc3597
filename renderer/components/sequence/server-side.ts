/**
 * The servers' side of a flow in words and arrows (issue #23): what the demo AS and RS published
 * (src/demo/events.ts, joined to the flow by the core), as messages between the RS, the AS and the
 * owner, and the sentences that explain each decision — which of Kate's rules matched, on which claim
 * from where, or which rule did not match; for Keycloak (src/app/keycloak-events.ts), what its own events
 * say and that they do not name the policy. Fingerprints only, as everywhere in the renderer.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-federated-authz-2.0.html
 */
import type { ServerEventView } from '../../../src/app/api';

type Rule = NonNullable<ServerEventView['rules']>[number];
const SOURCE: Record<NonNullable<ServerEventView['claims']>['source'], string> = { id_token: 'pushed ID token', pct: 'PCT (claims the AS kept)', interaction: 'claims gathered in the browser' };

/** An issuer in words: the provider's name where the app knows it ("Hospital ID"), else its host. */
export type IssuerName = (issuer: string) => string | undefined;
/** Issuer names from the app's providers ("Hospital ID (demo)" → "Hospital ID"). */
export function issuerNamer(providers: readonly { issuer: string; label: string }[] | undefined): IssuerName {
  return (issuer) => providers?.find((p) => p.issuer === issuer)?.label.replace(/\s*\([^)]*\)$/, '');
}
const hostOf = (issuer: string) => { try { return new URL(issuer).host; } catch { return issuer; } };
const ruleText = (r: Rule) => `Kate's rule '${r.id}' (${r.claim} = ${r.value}${r.terms ? ', terms accepted' : ''}${r.approval ? ', Kate approves each time' : ''})`;
const who = (e: ServerEventView) => e.requester ?? 'the requesting party';

/** Keycloak's event in words: what it says it decided, its own names for it, and what it does not say. */
function nativeDecisionText(e: ServerEventView): string {
  const n = e.native;
  const said = n ? `Keycloak's event ${n.type}${n.error ? ` (${n.error}${n.reason ? `, ${n.reason}` : ''})` : ''}` : "Keycloak's event";
  switch (e.outcome) {
    case 'granted': return `${said}: RPT issued to ${n?.client ?? 'the client'}. Keycloak's events do not say which policy allowed it.`;
    case 'request_submitted': return `${said}: a request for the owner was filed; request_submitted. Keycloak's events do not say which policy asked for it.`;
    case 'invalid_grant': return `${said}: the ticket or RPT was refused.`;
    case 'need_info': return `${said}: more claims needed; need_info.`;
    default: return `${said}: refused. Keycloak's events do not say which policy refused.`;
  }
}

/** The sentence behind an AS decision: the rule that decided and the claim it used, or why none did. */
export function decisionText(e: ServerEventView, issuerName?: IssuerName): string {
  if (e.native) return nativeDecisionText(e);
  const host = (issuer: string) => issuerName?.(issuer) ?? hostOf(issuer);
  const rules = e.rules ?? [];
  const matched = rules.find((r) => r.matched);
  const claim = matched && e.claims ? `${who(e)}'s ${SOURCE[e.claims.source]} from ${host(e.claims.issuer)} says ${matched.claim} = ${matched.saw ?? matched.value}` : undefined;
  const scopes = (e.scopes ?? []).join(' ') || 'access';
  switch (e.outcome) {
    case 'granted': return matched ? `${claim}; ${ruleText(matched)} allows ${scopes}: RPT issued.` : `The policy allows ${scopes}: RPT issued.`;
    case 'request_submitted': return matched ? `${claim}; ${ruleText(matched)} needs her approval: request_submitted.` : 'Kate must approve: request_submitted.';
    case 'need_info': return e.claims ? `${ruleText(rules.find((r) => r.terms) ?? rules[0] ?? { id: '?', claim: 'role', value: '?', issuer: '', scopes: [], terms: true, approval: false, matched: false })} needs more (the lab's terms): need_info.` : `The AS does not know who is asking yet; the rules look at ${[...new Set(rules.map((r) => r.claim))].join(' and ') || 'claims'}: need_info.`;
    case 'denied': {
      const missed = rules.filter((r) => !r.matched);
      if (missed.length === 0) return 'No rule of Kate\'s covers this request: request_denied.';
      const has = (r: Rule) => (r.saw !== undefined ? `${who(e)} has ${r.claim} = ${r.saw}` : `${who(e)} has no ${r.claim} from ${host(r.issuer)}`);
      return `No rule matched: ${missed.map((r) => `${ruleText(r)} does not match (${has(r)})`).join('; ')}: request_denied.`;
    }
    case 'invalid_grant': return 'The ticket is unknown, used or expired: invalid_grant.';
    default: return 'The AS decided.';
  }
}

export interface ServerMessage {
  from: 'rs' | 'as' | 'owner';
  to: 'rs' | 'as' | 'owner';
  kind: 'request' | 'return' | 'note';
  label: string;
  tone: 'ok' | 'challenge' | 'pending' | 'bad' | 'neutral';
  tokens: { role: 'ticket' | 'rpt' | 'pct' | 'pat'; fingerprint: string }[];
  /** The whole sentence of a note (the label may be shortened to fit). */
  detail?: string;
}

const pick = (e: ServerEventView, ...roles: ServerEventView['tokens'][number]['role'][]) =>
  e.tokens.filter((t) => roles.includes(t.role)).map((t) => ({ role: t.role === 'new_ticket' ? 'ticket' as const : t.role === 'old_rpt' ? 'rpt' as const : t.role, fingerprint: t.fingerprint }));

/** The arrows (or a note on one lane) one server event draws. */
export function serverMessages(e: ServerEventView, issuerName?: IssuerName): ServerMessage[] {
  const name = e.resource?.name ?? 'a resource';
  const scopes = (e.scopes ?? []).join(' ');
  switch (e.kind) {
    case 'registration':
      return [{ from: 'rs', to: 'as', kind: 'request', label: `registers ${name} (${scopes}) at start`, tone: 'neutral', tokens: pick(e, 'pat') }];
    case 'permission':
      return [
        { from: 'rs', to: 'as', kind: 'request', label: `POST /uma/permission: ${name} ${scopes}`, tone: 'neutral', tokens: pick(e, 'pat') },
        { from: 'as', to: 'rs', kind: 'return', label: `${e.status ?? 201} permission ticket`, tone: 'challenge', tokens: pick(e, 'ticket') },
      ];
    case 'introspection':
      if (e.native) {
        const why = e.native.reason ? ` (${e.native.reason})` : '';
        return [
          { from: 'rs', to: 'as', kind: 'request', label: 'POST /token/introspect', tone: 'neutral', tokens: [] },
          { from: 'as', to: 'rs', kind: 'return', label: e.active ? `active (Keycloak: ${e.native.type})` : `not active (Keycloak: ${e.native.type}${why})`, tone: e.active ? 'ok' : 'challenge', tokens: [] },
        ];
      }
      if (e.cached) return [{ from: 'rs', to: 'rs', kind: 'note', label: `introspection cache hit: RPT ${e.active ? 'covers' : 'does not cover'} ${scopes} ${name}`, tone: e.active ? 'ok' : 'challenge', tokens: pick(e, 'rpt') }];
      return [
        { from: 'rs', to: 'as', kind: 'request', label: 'POST /uma/introspect', tone: 'neutral', tokens: pick(e, 'rpt', 'pat') },
        { from: 'as', to: 'rs', kind: 'return', label: e.active ? `active: ${scopes} ${name}` : `does not cover ${scopes} ${name}`, tone: e.active ? 'ok' : 'challenge', tokens: [] },
      ];
    case 'decision': {
      const text = decisionText(e, issuerName);
      const tone = e.outcome === 'granted' ? 'ok' : e.outcome === 'denied' || e.outcome === 'invalid_grant' ? 'bad' : 'pending';
      return [{ from: 'as', to: 'as', kind: 'note', label: `policy: ${text}`, detail: text, tone, tokens: [] }];
    }
    case 'approval':
      return [{ from: 'owner', to: 'as', kind: 'request', label: `Kate ${e.decision === 'denied' ? 'denies' : 'approves'} ${who(e)}'s request for ${name} in her dashboard`, tone: e.decision === 'denied' ? 'bad' : 'ok', tokens: [] }];
    default:
      return [];
  }
}

/** The servers' events drawn within one step of a laid-out flow (End to end), in their order. */
export function eventsOfStep(messages: readonly { id: string; stepId: string; server?: boolean }[], events: readonly ServerEventView[], stepId: string): ServerEventView[] {
  const ids = new Set<string>();
  for (const m of messages) if (m.server && m.stepId === stepId) ids.add(m.id.slice(4, m.id.lastIndexOf(':')));
  return events.filter((e) => ids.has(e.id));
}

/**
 * Why a step went as it did, from the servers' side (issue #23): one sentence for the RS ("RPT1 does
 * not cover write on prescriptions, so the RS asks the AS for a permission ticket for write: T2") and
 * one for the AS (the rule that allowed or refused it; an upgrade names the RPT before and after).
 * `chip` names a token by its fingerprint as the diagram does (T1, RPT1…).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5.1
 */
export function serverWhy(events: readonly ServerEventView[], chip: (fingerprint: string) => string | undefined, issuerName?: IssuerName): { rs: string[]; as: string[] } {
  const rs: string[] = [];
  const as: string[] = [];
  const named = (e: ServerEventView, ...roles: ServerEventView['tokens'][number]['role'][]) => e.tokens.filter((t) => roles.includes(t.role)).map((t) => chip(t.fingerprint) ?? 'a token')[0];
  for (const e of events) {
    const on = `${(e.scopes ?? []).join(' ') || 'access'} on ${e.resource?.name ?? 'the resource'}`;
    switch (e.kind) {
      case 'introspection': {
        const rpt = named(e, 'rpt') ?? 'the RPT';
        const how = e.cached ? ' (its introspection cache says so)' : ' (the AS says so when the RS introspects it)';
        rs.push(e.active ? `${rpt} covers ${on}${how}, so the RS serves the request.` : `${rpt} does not cover ${on}${how}.`);
        break;
      }
      case 'permission': rs.push(`the RS asks the AS for a permission ticket for ${on}${named(e, 'ticket') ? `: ${named(e, 'ticket')}` : ''}.`); break;
      case 'decision': {
        const old = named(e, 'old_rpt');
        const rpt = named(e, 'rpt');
        const upgrade = e.outcome === 'granted' && old && rpt ? ` The RPT is upgraded: ${rpt} carries ${old}'s permissions plus ${(e.scopes ?? []).join(' ')}, and ${old} is revoked.` : '';
        as.push(`${decisionText(e, issuerName)}${upgrade}`);
        break;
      }
      case 'approval': as.push(`Kate ${e.decision === 'denied' ? 'denies' : 'approves'} ${who(e)}'s request in her dashboard.`); break;
      default: break;
    }
  }
  return { rs, as };
}

/** {@link serverWhy} as the presenter and the deck print it: "On the RS: … On the AS: …". */
export function serverWhyText(why: { rs: string[]; as: string[] }): string {
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return [why.rs.length ? `On the RS: ${why.rs.map(cap).join(' ')}` : '', why.as.length ? `On the AS: ${why.as.join(' ')}` : ''].filter(Boolean).join(' ');
}
