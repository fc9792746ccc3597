/**
 * DPoP (RFC 9449) at the AS: whether it binds the RPT when the UMA grant carries a proof
 * (`token_type: DPoP`, and the RPT's `cnf.jkt` when the RPT is a JWT), whether it refuses a bad proof
 * (another `htu`; a signature that does not match the proof's own key), and whether it asks for a
 * nonce. Proofs are made by the engine's DPoP helpers (oauth4webapi), with a key made for the probe.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5
 */
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import { dpopHandle, generateDpopKeyPair, isDpopTokenType, umaTokenParameters, type DpopKeyPair, type RequestContext, type UmaTokenParams } from '@tessera/uma';
import { describeResult, type CheckContext, type TokenObservation } from '../context';
import { deviation, fail, info, pass, rfc, skip, unsafe, type CheckDefinition } from '../types';

type Handle = NonNullable<RequestContext['dpop']>;

/** What the first DPoP grant of the probe saw (shared by the three checks). */
interface DpopGrant extends ProofGrant {
  advertised: string[] | undefined;
  jkt: string;
}

/** One grant with a proof: the first answer, the answer after one nonce retry (the first when none was asked for). */
interface ProofGrant {
  first: TokenObservation;
  final: TokenObservation;
  nonceAsked: boolean;
  nonceHeader: boolean;
}

/** A JWT RPT's `cnf.jkt` (RFC 9449 §6.1); undefined for an opaque RPT, whose binding only introspection shows. */
function cnfOf(token: string): unknown {
  try {
    return (decodeJwt(token) as { cnf?: { jkt?: unknown } }).cnf?.jkt;
  } catch {
    return undefined;
  }
}

function advertisedAlgs(ctx: CheckContext): string[] | undefined {
  const value = (ctx.metadata as Record<string, unknown>).dpop_signing_alg_values_supported;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/** A UMA grant with a proof from `handle`, once more when the AS asks for its nonce. */
async function grantWithProof(ctx: CheckContext, handle: Handle): Promise<ProofGrant> {
  const claim = ctx.shared.claimTokens[0];
  const send = async () => {
    const params: UmaTokenParams = { ticket: await ctx.freshTicket(), ...(claim ? { claimToken: claim } : {}) };
    return ctx.token({ raw: umaTokenParameters(params), secrets: [params.ticket, claim?.claim_token].filter((s): s is string => Boolean(s)) }, ctx.client, ctx.shared.resource, handle);
  };
  const first = await send();
  const nonceAsked = first.json?.error === 'use_dpop_nonce';
  const nonceHeader = Boolean(first.headers.get('dpop-nonce'));
  // The handle kept the AS's DPoP-Nonce: the second proof carries it.
  const final = nonceAsked && nonceHeader ? await send() : first;
  return { first, final, nonceAsked, nonceHeader };
}

async function dpopGrant(ctx: CheckContext): Promise<DpopGrant> {
  return ctx.once('dpop.grant', async () => {
    const pair = await generateDpopKeyPair();
    const jkt = await calculateJwkThumbprint(await exportJWK(pair.publicKey), 'sha256');
    return { advertised: advertisedAlgs(ctx), jkt, ...(await grantWithProof(ctx, dpopHandle(pair))) };
  });
}

/** A proof whose JOSE header names another key than the one that signed it. */
async function foreignKeyHandle(pair: DpopKeyPair): Promise<Handle> {
  const other = await generateDpopKeyPair();
  const otherJwk = await exportJWK(other.publicKey);
  return dpopHandle(pair, (header) => {
    header.jwk = otherJwk;
  });
}

export const dpopChecks: CheckDefinition[] = [
  {
    id: 'dpop.binding',
    title: 'The AS binds the RPT to a DPoP proof sent with the grant',
    spec: rfc(9449, '5'),
    rule: 'An AS that supports DPoP answers a token request carrying a valid proof with token_type DPoP, the token bound to the proof key (cnf.jkt, RFC 9449 §6).',
    async run(ctx) {
      const g = await dpopGrant(ctx);
      const o = g.final;
      if (o.result.type !== 'token') {
        if (o.json?.error === 'invalid_dpop_proof') return fail(`The AS refused a valid proof: ${describeResult(o)}.`, 'Turn DPoP off for this AS until it accepts proofs it advertises.');
        return skip(`The grant with a proof was not granted: ${describeResult(o)}.`);
      }
      const token = o.result.token;
      const where = g.advertised ? `The AS advertises dpop_signing_alg_values_supported (${g.advertised.join(', ')})` : 'The AS does not advertise dpop_signing_alg_values_supported';
      const cnf = cnfOf(token.accessToken);
      if (!isDpopTokenType(token.tokenType) && cnf !== undefined) {
        // Keycloak's UMA grant (keycloak#52985): bound in the token, Bearer in the answer.
        return deviation(`The AS answered token_type ${token.tokenType}, yet the RPT names ${cnf === g.jkt ? 'the proof key' : 'a key'} in cnf.jkt (${String(cnf)}): bound, but not said to be.`, 'A client cannot know from the answer that the RPT is bound; an RS that checks cnf refuses it as a bearer token, one that does not (introspection with a hint that hides cnf) refuses it as DPoP. Send no proof to this AS unless its RSes are known to accept the result.');
      }
      if (!isDpopTokenType(token.tokenType)) {
        if (g.advertised?.length) return deviation(`${where}, yet it answered a UMA grant that carried a proof with token_type ${token.tokenType}: the RPT is not bound.`, 'Expect a bearer RPT from this AS even with a proof (Tessera keeps it Bearer unless DPoP is required for this AS).');
        return info(`${where} and answered the proof with token_type ${token.tokenType}: no DPoP for RPTs here (optional).`);
      }
      if (cnf !== undefined && cnf !== g.jkt) return fail(`token_type DPoP, but the RPT's cnf.jkt (${String(cnf)}) is not the proof key's thumbprint (${g.jkt}).`, 'The RS cannot match this RPT to the client\'s proofs: do not rely on DPoP at this AS.');
      return pass(`token_type DPoP${cnf !== undefined ? `; the RPT's cnf.jkt is the proof key's thumbprint (${g.jkt})` : ` (opaque RPT: its cnf.jkt is visible only through introspection; proof key ${g.jkt})`}.`);
    },
  },
  {
    id: 'dpop.bad-proof',
    title: 'The AS refuses a bad DPoP proof',
    spec: rfc(9449, '4.3'),
    rule: 'A proof whose htu is not the token endpoint, or whose signature does not verify with its own jwk, is refused (invalid_dpop_proof); no token is issued for it.',
    async run(ctx) {
      const g = await dpopGrant(ctx);
      if (g.final.result.type !== 'token') return skip(`No grant with a valid proof to compare with: ${describeResult(g.final)}.`);
      if (!isDpopTokenType(g.final.result.token.tokenType) && cnfOf(g.final.result.token.accessToken) !== g.jkt) return skip('The AS does not bind RPTs to proofs (see dpop.binding): a proof it ignores cannot be judged.');
      const pair = await generateDpopKeyPair();
      const cases: [string, Handle][] = [
        ['a proof for another URL (htu)', dpopHandle(pair, (_header, claims) => { claims.htu = `${String(claims.htu)}/elsewhere`; })],
        ['a proof signed by another key than its jwk', await foreignKeyHandle(pair)],
      ];
      const seen: string[] = [];
      for (const [what, handle] of cases) {
        const { final: o } = await grantWithProof(ctx, handle);
        if (o.result.type === 'token') {
          return isDpopTokenType(o.result.token.tokenType)
            ? unsafe(`The AS issued a DPoP-bound RPT for ${what}.`, 'This AS does not check proofs: a stolen proof or token can be replayed. Do not rely on DPoP here.')
            : fail(`The AS issued a ${o.result.token.tokenType} RPT for ${what} instead of refusing it.`, 'A client sending a wrong proof learns nothing; do not rely on DPoP at this AS.');
        }
        seen.push(`${what}: ${describeResult(o)}`);
        if (o.json?.error !== 'invalid_dpop_proof') return deviation(`Refused, but not with invalid_dpop_proof — ${seen.join('; ')}.`, 'Treat any refusal of a token request with a proof as a proof problem when it follows a change of key or URL.');
      }
      return pass(`Refused with invalid_dpop_proof — ${seen.join('; ')}.`);
    },
  },
  {
    id: 'dpop.nonce',
    title: 'The AS asks for a DPoP nonce (and gives one)',
    spec: rfc(9449, '8'),
    rule: 'An AS may require a server-provided nonce in proofs: it answers use_dpop_nonce with a DPoP-Nonce header, and accepts the proof that carries it.',
    async run(ctx) {
      // Its own grant with a fresh key (its own exchanges in the report), not the binding check's.
      const g = await grantWithProof(ctx, dpopHandle(await generateDpopKeyPair()));
      if (!g.nonceAsked) return info(`The AS did not ask for a nonce (${describeResult(g.first)}): proofs are fresh by iat and jti only (optional).`);
      if (!g.nonceHeader) return fail('The AS answered use_dpop_nonce without a DPoP-Nonce header: no client can comply.', 'Send DPoP-Nonce with every use_dpop_nonce answer (RFC 9449 §8).');
      if (g.final.json?.error === 'use_dpop_nonce') return fail('The AS asked for a nonce again after a proof that carried the one it gave.', 'Accept the nonce it issued (RFC 9449 §8).');
      return pass(`The AS asked for a nonce (use_dpop_nonce with DPoP-Nonce) and then answered ${describeResult(g.final)}.`);
    },
  },
];
