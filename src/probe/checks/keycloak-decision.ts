/**
 * Keycloak's `response_mode` (not UMA 2.0): what `response_mode=decision` answers for a permission
 * the requesting party is granted and for one it is refused, what `response_mode=permissions` lists,
 * and whether those answers agree with a real grant (an RPT asked for the same permission without a
 * ticket). Keycloak's evaluator is known to disagree with the RPTs it issues, so a client (or an
 * enforcer) that trusts the decision alone can be wrong. Run only when the AS is Keycloak (its issuer
 * is `…/realms/NAME`); the permissions come from the probe's options, the audience from the options
 * or the ticket's `azp` (Keycloak's tickets are JWTs issued for the RS's client).
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
import { decodeJwt } from 'jose';
import { fingerprint, isKeycloakIssuer, keycloakUmaParameters, keycloakUmaRequest, readKeycloakAnswer, type KeycloakAnswer, type KeycloakPermission } from '@tessera/uma';
import { SkipCheck, type CheckContext } from '../context';
import { finding } from '../grading';
import { info, pass, type CheckDefinition, type Verdict } from '../types';

/** Keycloak's documentation of the ticketless request and its `response_mode`. */
export const KEYCLOAK_RESPONSE_MODE_SPEC = 'https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions';

/** What the probe is told about Keycloak: the RS's client id, a permission granted and one refused (RESOURCE#SCOPE). */
export interface KeycloakProbeOptions { audience?: string; permitted?: string; denied?: string }

/** One answer as the checks report it. */
interface Asked { answer: KeycloakAnswer; said: string; granted: boolean | undefined }

function onlyKeycloak(ctx: CheckContext): void {
  if (!isKeycloakIssuer(ctx.shared.asUri)) throw new SkipCheck(`The AS is not Keycloak (its issuer ${ctx.shared.asUri} is not …/realms/NAME): response_mode is Keycloak's extension.`);
  // Without a requesting party Keycloak answers for the client's own service account: not the question asked.
  if (!ctx.shared.claimTokens[0] && !ctx.shared.bearerToken) throw new SkipCheck('No claim token was given: Keycloak would decide for the client itself, not for a requesting party.');
}

/** The RS's client id: given, or the `azp` of a Keycloak ticket (a JWT the RS got with its PAT). */
async function audience(ctx: CheckContext): Promise<string> {
  const given = ctx.shared.keycloak?.audience;
  if (given) return given;
  const azp = await ctx.once('keycloak.audience', async () => {
    try {
      const claims = decodeJwt(await ctx.freshTicket());
      return typeof claims.azp === 'string' ? claims.azp : undefined;
    } catch {
      return undefined;
    }
  });
  if (!azp) throw new SkipCheck("No audience: the ticket names no resource server (azp) and none was given (the resource server's client id).");
  return azp;
}

function permissionText(p: KeycloakPermission): string {
  return `${p.rsname ?? p.rsid ?? '?'}${p.scopes?.length ? `#${p.scopes.join(',')}` : ' (no scope)'}`;
}

/** Whether Keycloak's permissions cover RESOURCE[#SCOPE[,SCOPE]] (by name or id; any resource for #SCOPE). */
export function covers(permissions: readonly KeycloakPermission[], asked: string): boolean {
  const [resource = '', scopeList] = asked.split('#');
  const scopes = scopeList ? scopeList.split(',').map((s) => s.trim()).filter(Boolean) : [];
  return permissions.some((p) => (!resource || p.rsname === resource || p.rsid === resource) && scopes.every((s) => p.scopes?.includes(s)));
}

/** The ticketless request for one or more permissions, answered in `mode` (memoized per probe run). */
function ask(ctx: CheckContext, permissions: string[], mode: 'decision' | 'permissions' | 'token'): Promise<Asked> {
  return ctx.once(`keycloak:${mode}:${permissions.join(' ')}`, async () => {
    const claim = ctx.shared.claimTokens[0];
    const body = keycloakUmaParameters({ audience: await audience(ctx), permissions, ...(mode !== 'token' ? { responseMode: mode } : {}), ...(claim ? { claimToken: claim } : {}) });
    const response = await keycloakUmaRequest(ctx.metadata, ctx.client, body, ctx.requestContext);
    const status = response.status;
    const json: unknown = await response.clone().json().catch(() => undefined);
    const answer = await readKeycloakAnswer(response, mode === 'token' ? undefined : mode);
    const step = ctx.lastStep('token');
    if (step) ctx.shared.transcript.annotate(step, { outcome: answer.type === 'token' ? 'rpt_issued' : answer.type === 'refused' ? 'denied' : 'granted' });
    if (answer.type === 'token') {
      ctx.noteCreated({ kind: 'rpt', description: `RPT ${fingerprint(answer.token.accessToken)}`, cleanedUp: false });
      ctx.shared.revocable.push({ token: answer.token.accessToken, hint: 'access_token' });
      if (answer.token.refreshToken) {
        ctx.noteCreated({ kind: 'refresh_token', description: `refresh token ${fingerprint(answer.token.refreshToken)}`, cleanedUp: false });
        ctx.shared.revocable.push({ token: answer.token.refreshToken, hint: 'refresh_token' });
      }
    }
    return { answer, said: describe(status, json, answer), granted: grantedBy(answer, permissions) };
  });
}

/** Granted (true), refused (false), or no answer to the question (a request error: undefined). */
function grantedBy(answer: KeycloakAnswer, permissions: string[]): boolean | undefined {
  switch (answer.type) {
    case 'decision': return answer.granted;
    case 'permissions': return permissions.every((p) => covers(answer.permissions, p));
    case 'token': return answer.permissions ? permissions.every((p) => covers(answer.permissions ?? [], p)) : true;
    case 'refused': return answer.result.type === 'denied' ? false : undefined;
  }
}

function describe(status: number, json: unknown, answer: KeycloakAnswer): string {
  if (answer.type === 'decision' && status === 200) return `200 ${JSON.stringify(json)}`.slice(0, 200);
  if (answer.type === 'permissions') return `200 [${answer.permissions.slice(0, 10).map(permissionText).join(', ')}${answer.permissions.length > 10 ? ', …' : ''}]`;
  if (answer.type === 'token') return `200 with an RPT${answer.permissions ? ` carrying [${answer.permissions.slice(0, 10).map(permissionText).join(', ')}]` : ' (opaque: its permissions not readable)'}`;
  const body = json && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const error = typeof body.error === 'string' ? body.error : undefined;
  const description = typeof body.error_description === 'string' ? body.error_description.slice(0, 120) : undefined;
  return `${status}${error ? ` ${error}` : ''}${description ? ` ("${description}")` : ''}`;
}

/** The decision for one permission beside a real grant for it, graded against what the person expects. */
async function decisionAgainstGrant(ctx: CheckContext, permission: string | undefined, expected: boolean): Promise<Verdict> {
  onlyKeycloak(ctx);
  if (!permission) throw new SkipCheck(`No permission the requesting party is ${expected ? 'granted' : 'refused'} was given (RESOURCE#SCOPE).`);
  const decision = await ask(ctx, [permission], 'decision');
  const grant = await ask(ctx, [permission], 'token');
  const both = `response_mode=decision for ${permission}: ${decision.said}; a real grant (an RPT for the same permission, no ticket): ${grant.said}`;
  if (decision.granted === undefined || grant.granted === undefined) return info(`${both}. Keycloak did not decide: check the audience and the permission (resource name or id, scope).`);
  if (decision.granted !== grant.granted) return finding('keycloak_evaluation_disagrees', `${both}. The decision says ${decision.granted ? 'yes' : 'no'}; the real grant ${grant.granted ? 'gives' : 'does not give'} it${!grant.granted && grant.answer.type === 'token' ? ' (its RPT lacks a scope asked for)' : ''}.`);
  if (decision.granted !== expected) return info(`${both}. Both ${decision.granted ? 'grant' : 'refuse'} a permission given as ${expected ? 'granted' : 'refused'}: the realm's policies say otherwise than expected.`);
  const form = !expected && decision.answer.type === 'decision' && !decision.said.startsWith('200') ? ' (a refusal is an error answer, not {"result":false}, as Keycloak documents)' : '';
  return pass(`${both}. They agree${form}.`);
}

export const keycloakDecisionChecks: CheckDefinition[] = [
  {
    id: 'keycloak.decision-permitted',
    title: "Keycloak's decision for a granted permission agrees with a real grant",
    spec: KEYCLOAK_RESPONSE_MODE_SPEC,
    rule: 'response_mode=decision answers {"result":true} when the permission would be granted: the same request without it issues an RPT carrying that permission.',
    run: (ctx) => decisionAgainstGrant(ctx, ctx.shared.keycloak?.permitted, true),
  },
  {
    id: 'keycloak.decision-denied',
    title: "Keycloak's decision for a refused permission agrees with a real grant",
    spec: KEYCLOAK_RESPONSE_MODE_SPEC,
    rule: 'response_mode=decision refuses a permission the requesting party may not have, as the real grant refuses the RPT.',
    run: (ctx) => decisionAgainstGrant(ctx, ctx.shared.keycloak?.denied, false),
  },
  {
    id: 'keycloak.permissions',
    title: 'Keycloak lists the granted permissions (response_mode=permissions) as a real grant grants them',
    spec: KEYCLOAK_RESPONSE_MODE_SPEC,
    rule: 'response_mode=permissions answers the permissions that would be granted, without a token: those a real grant grants, and not those it refuses.',
    async run(ctx) {
      onlyKeycloak(ctx);
      const { permitted, denied } = ctx.shared.keycloak ?? {};
      const asked = [permitted, denied].filter((p): p is string => Boolean(p));
      if (asked.length === 0) throw new SkipCheck('No permission was given to list (RESOURCE#SCOPE, one granted and one refused).');
      const listed = await ask(ctx, asked, 'permissions');
      const list = listed.answer.type === 'permissions' ? listed.answer.permissions : [];
      if (listed.answer.type === 'refused' && listed.answer.result.type !== 'denied') return info(`response_mode=permissions for ${asked.join(' and ')}: ${listed.said}. Keycloak did not list: check the audience and the permissions.`);
      const real = await Promise.all(asked.map(async (p) => ({ p, grant: await ask(ctx, [p], 'token') })));
      const wrong = real.filter(({ p, grant }) => grant.granted !== undefined && covers(list, p) !== grant.granted);
      const said = `response_mode=permissions for ${asked.join(' and ')}: ${listed.said}; real grants: ${real.map(({ p, grant }) => `${p}: ${grant.said}`).join('; ')}`;
      if (wrong.length) return finding('keycloak_evaluation_disagrees', `${said}. The list ${wrong.map(({ p, grant }) => `${grant.granted ? 'leaves out' : 'includes'} ${p}`).join(' and ')}.`);
      return pass(`${said}. The list agrees with the real grants.`);
    },
  },
];
