/**
 * Discovery checks: the RS challenge, where the UMA metadata is, `issuer` = `as_uri`, the fields a
 * client needs, TLS, content type and cache headers.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
import { isSecureOrLoopback } from '@tessera/uma/portable';
import { UMA_GRANT_TYPE } from '@tessera/uma';
import { deviation, fail, grantSection, info, pass, rfc, skip, unsafe, type CheckDefinition } from '../types';
import { SkipCheck, type CheckContext } from '../context';

const ENDPOINT_FIELDS = ['token_endpoint', 'claims_interaction_endpoint', 'registration_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'permission_endpoint', 'resource_registration_endpoint', 'jwks_uri'] as const;

function found(ctx: CheckContext) {
  const f = ctx.shared.discovery.found;
  if (!f) throw new SkipCheck('No discovery document was found.');
  return f;
}

export const discoveryChecks: CheckDefinition[] = [
  {
    id: 'rs.challenge',
    title: 'The RS answers with a UMA challenge',
    spec: grantSection('3.2'),
    rule: 'A request without an RPT gets 401 with WWW-Authenticate: UMA carrying as_uri and ticket.',
    async run(ctx) {
      const step = ctx.shared.transcript.flow('rs.challenge').find((s) => s.kind === 'resource');
      const c = step?.challenge;
      if (!step || !c) return fail('The resource server did not send a UMA challenge.', 'Check the resource URL; the probe needs a UMA-protected resource.');
      if (step.status === 401 && c.source === 'header') return pass(`401 with WWW-Authenticate: UMA (as_uri ${c.asUri}, ticket ${c.ticket}).`);
      if (c.source === 'body') return deviation(`HTTP ${step.status}: the ticket${c.asUri ? ' and as_uri' : ''} came in a JSON body, not in WWW-Authenticate: UMA (ForgeRock-style RS).`, 'Read ticket and as_uri from the JSON body when the header lacks them.');
      return deviation(`HTTP ${step.status} with a UMA challenge (UMA 1.0 style) instead of 401.`, 'Accept the UMA challenge on 403 too.');
    },
  },
  {
    id: 'discovery.location',
    title: 'UMA metadata at {issuer}/.well-known/uma2-configuration',
    spec: grantSection('2'),
    rule: 'The AS publishes its metadata at the issuer URL with /.well-known/uma2-configuration appended.',
    async run(ctx) {
      const d = ctx.shared.discovery;
      const tried = d.attempts.map((a) => `${a.url} → ${a.status ?? 'no answer'}`).join('; ');
      if (!d.found) return fail(`No UMA or OAuth metadata found (${tried || 'nothing tried'}).${d.problem ? ` ${d.problem}` : ''}`, 'Configure the discovery URL or the endpoints of this AS by hand (trust configuration).');
      const extra = d.supplemented ? ` Taken from ${d.supplemented.source === 'openid' ? 'the OpenID configuration' : 'the configured'} ${d.supplemented.url} because it is missing here: ${d.supplemented.fields.join(', ')}.` : '';
      if (d.found.source === 'uma2') return pass(`Found at ${d.found.url}.${extra}`);
      if (d.found.source === 'manual') return deviation(`No discovery document (${tried}); the configured endpoints were used.`, 'Configure this AS with manual endpoints (token_endpoint, …); nothing can be discovered.');
      return deviation(`Not at {issuer}/.well-known/uma2-configuration; found at ${d.found.url} (${d.found.source === 'rfc8414' ? 'RFC 8414 location' : 'configured discovery URL'}). Tried: ${tried}.`, d.found.source === 'rfc8414' ? 'Fall back to /.well-known/oauth-authorization-server.' : 'Configure the discovery URL for this AS.');
    },
  },
  {
    id: 'discovery.issuer',
    title: 'issuer equals as_uri',
    spec: rfc(8414, '3.3'),
    rule: 'The issuer in the metadata is identical to the as_uri the RS named (mix-up defence).',
    async run(ctx) {
      const f = found(ctx);
      if (f.source === 'manual') return skip('No discovery document to compare.');
      const issuer = f.raw?.issuer;
      if (typeof issuer !== 'string') return fail('The document has no issuer.');
      if (issuer === ctx.shared.asUri) return pass(`issuer "${issuer}" = as_uri.`);
      if (issuer.replace(/\/$/, '') === ctx.shared.asUri.replace(/\/$/, '')) return deviation(`issuer "${issuer}" differs from as_uri "${ctx.shared.asUri}" only by a trailing slash.`, 'Compare issuers with one trailing slash ignored, or configure an alias.');
      return deviation(`issuer "${issuer}" ≠ as_uri "${ctx.shared.asUri}".`, 'A strict client refuses this AS (RFC 8414 §3.3); configure the other name as an alias of this AS if both are the same server.');
    },
  },
  {
    id: 'discovery.token-endpoint',
    title: 'token_endpoint is present',
    spec: rfc(8414, '2'),
    rule: 'token_endpoint is REQUIRED (unless only the implicit grant is supported).',
    async run(ctx) {
      const f = found(ctx);
      const te = ctx.shared.discovery.metadata?.token_endpoint ?? f.raw?.token_endpoint;
      if (typeof te !== 'string') return fail('No token_endpoint.', 'Configure the token endpoint by hand.');
      return pass(`token_endpoint ${te}.`);
    },
  },
  {
    id: 'discovery.grant-type',
    title: 'grant_types_supported lists the UMA grant',
    spec: rfc(8414, '2'),
    rule: `grant_types_supported defaults to ["authorization_code","implicit"], so an AS offering the UMA grant lists ${UMA_GRANT_TYPE}.`,
    async run(ctx) {
      const f = found(ctx);
      if (f.source === 'manual') return skip('No discovery document.');
      const list = f.raw?.grant_types_supported;
      if (!Array.isArray(list)) return deviation('grant_types_supported is absent (the default excludes the UMA grant).', 'Do not require the UMA grant in grant_types_supported; try the token endpoint.');
      if (list.includes(UMA_GRANT_TYPE)) return pass('Listed.');
      return deviation(`grant_types_supported is ${JSON.stringify(list)}, without ${UMA_GRANT_TYPE} (Keycloak does this).`, 'Do not require the UMA grant in grant_types_supported; try the token endpoint.');
    },
  },
  {
    id: 'discovery.claims-interaction',
    title: 'claims_interaction_endpoint',
    spec: grantSection('2'),
    rule: 'claims_interaction_endpoint is OPTIONAL; when present the client may redirect the requesting party there before any token request.',
    async run(ctx) {
      const f = found(ctx);
      const v = ctx.shared.discovery.metadata?.claims_interaction_endpoint ?? f.raw?.claims_interaction_endpoint;
      if (typeof v === 'string') return pass(`claims_interaction_endpoint ${v}.`);
      return info('Not advertised (OPTIONAL): interactive claims gathering happens only where need_info carries redirect_user.', 'Do not redirect the requesting party before a need_info with redirect_user.');
    },
  },
  {
    id: 'discovery.profiles',
    title: 'uma_profiles_supported',
    spec: grantSection('2'),
    rule: 'uma_profiles_supported is OPTIONAL; the AS SHOULD list the profiles it supports that have URIs.',
    async run(ctx) {
      const f = found(ctx);
      const v = f.raw?.uma_profiles_supported;
      if (v === undefined) return info('Not advertised (OPTIONAL).');
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return deviation(`uma_profiles_supported is not an array of strings: ${JSON.stringify(v)}.`, 'Ignore the field.');
      return pass(v.length ? `Profiles: ${v.join(', ')}.` : 'An empty list.');
    },
  },
  {
    id: 'discovery.https',
    title: 'HTTPS outside loopback',
    spec: grantSection('5.7'),
    rule: 'The AS and its endpoints use TLS (RFC 6749 §3.1, §3.2); only loopback is exempt.',
    async run(ctx) {
      const m = ctx.shared.discovery.metadata;
      const urls = [ctx.shared.asUri, ...(m ? ENDPOINT_FIELDS.map((k) => m[k as keyof typeof m]).filter((v): v is string => typeof v === 'string') : [])];
      const bad = urls.filter((u) => !isSecureOrLoopback(u));
      if (bad.length) return unsafe(`Not HTTPS: ${bad.join(', ')}.`, 'Never send credentials, claims or tokens to these URLs; fix the AS configuration.');
      const loop = urls.filter((u) => new URL(u).protocol !== 'https:');
      return pass(loop.length ? `HTTPS, except loopback URLs (${new Set(loop.map((u) => new URL(u).origin)).size} origin(s)), which are exempt.` : 'All HTTPS.');
    },
  },
  {
    id: 'discovery.endpoint-origins',
    title: 'Where client credentials and tokens go',
    spec: rfc(8414, '2'),
    rule: 'The metadata may put the token, registration and revocation endpoints on another origin than the issuer; a client sends its credentials and tokens wherever the document says.',
    async run(ctx) {
      const m = ctx.metadata;
      const issuerOrigin = new URL(ctx.shared.asUri).origin;
      const fields = ['token_endpoint', 'registration_endpoint', 'revocation_endpoint'] as const;
      const elsewhere: string[] = [];
      for (const k of fields) {
        const v = m[k];
        if (typeof v !== 'string') continue;
        let origin: string;
        try { origin = new URL(v).origin; } catch { continue; }
        if (origin !== issuerOrigin) elsewhere.push(`${k} ${origin}`);
      }
      if (!elsewhere.length) return pass(`The ${fields.filter((k) => typeof m[k] === 'string').join(', ').replace(/_/g, ' ')} are on the issuer's origin ${issuerOrigin}.`);
      // RFC 8414 allows it, and the client follows the document: the person should see where their credentials go.
      return info(`On another origin than the issuer (${issuerOrigin}): ${elsewhere.join('; ')}. The client credentials, tickets, claims and tokens go there, as the discovery document says (RFC 8414 allows it).`, 'Make sure you trust these origins as much as the issuer; Tessera follows the discovery document of the AS you trusted.');
    },
  },
  {
    id: 'discovery.content-type',
    title: 'Metadata is served as application/json',
    spec: rfc(8414, '3.2'),
    rule: 'The metadata response is 200 with Content-Type application/json.',
    async run(ctx) {
      const f = found(ctx);
      if (!f.headers) return skip('No discovery document.');
      const ct = f.headers.get('content-type') ?? '';
      if (/^application\/json\b/i.test(ct)) return pass(`Content-Type: ${ct}.`);
      return deviation(`Content-Type: ${ct || '(none)'}.`, 'Parse the body as JSON regardless of the content type.');
    },
  },
  {
    id: 'discovery.cache',
    title: 'Metadata cache headers',
    spec: 'https://www.rfc-editor.org/rfc/rfc9111#section-5.2',
    rule: 'Cache-Control or Expires tells clients how long the metadata may be reused.',
    async run(ctx) {
      const f = found(ctx);
      if (!f.headers) return skip('No discovery document.');
      const cc = f.headers.get('cache-control');
      const exp = f.headers.get('expires');
      if (cc || exp) return pass(`${cc ? `Cache-Control: ${cc}` : ''}${cc && exp ? '; ' : ''}${exp ? `Expires: ${exp}` : ''}.`);
      return info('No cache headers: clients choose their own lifetime.', 'Cache the metadata for a bounded time (Tessera: 1 hour) and re-discover on errors.');
    },
  },
];
