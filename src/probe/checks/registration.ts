/**
 * Dynamic client registration (RFC 7591) with the UMA grant and `claims_redirect_uris`; the probe
 * deletes the client again where the AS offers RFC 7592 management, and lists it otherwise.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3
 */
import { fingerprint, UMA_GRANT_TYPE } from '@tessera/uma';
import { deviation, pass, rfc, skip, type CheckDefinition } from '../types';

export const registrationChecks: CheckDefinition[] = [
  {
    id: 'registration.dynamic',
    title: 'Dynamic registration with claims_redirect_uris',
    spec: rfc(7591, '3.2.1'),
    rule: 'A registration request with grant_types including the UMA grant and claims_redirect_uris gets 201 with a client_id and the registered metadata echoed back.',
    async run(ctx) {
      const endpoint = ctx.metadata.registration_endpoint;
      if (!endpoint) return skip('No registration_endpoint.');
      if (ctx.shared.insecure) return skip('The AS endpoints are not HTTPS: the probe registers no client there.');
      const request = {
        client_name: 'Tessera probe (safe to delete)',
        grant_types: [UMA_GRANT_TYPE, 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        claims_redirect_uris: [ctx.shared.claimsRedirectUri],
      };
      const res = await ctx.shared.http.request(endpoint, { method: 'POST', lane: 'as', kind: 'registration', flowId: ctx.flowId, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(request) });
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(res.text) as Record<string, unknown>;
      } catch {
        // not JSON
      }
      if (res.status === 401 || res.status === 403) return skip(`Registration is protected (HTTP ${res.status}; an initial access token is needed, RFC 7591 §3): register the client by hand.`);
      // A client registered by hand works as well (Tessera's static registration): a deviation, not a failure.
      if (res.status !== 201 || typeof body.client_id !== 'string') return deviation(`HTTP ${res.status}${typeof body.error === 'string' ? ` ${body.error}${typeof body.error_description === 'string' ? ` ("${body.error_description}")` : ''}` : ''}.`, 'Register the client by hand and give Tessera its client id.');
      const clientId = body.client_id;
      const description = `registered client ${clientId} ("Tessera probe")`;
      ctx.noteCreated({ kind: 'registered_client', description, cleanedUp: false });
      // RFC 7592: delete the client again when the AS gives the means.
      const manage = typeof body.registration_client_uri === 'string' ? body.registration_client_uri : undefined;
      const rat = typeof body.registration_access_token === 'string' ? body.registration_access_token : undefined;
      let cleanup: string;
      if (manage && rat) {
        try {
          const del = await ctx.shared.http.request(manage, { method: 'DELETE', lane: 'as', kind: 'registration', flowId: ctx.flowId, headers: { authorization: `Bearer ${rat}` }, secrets: [rat] });
          if (del.status === 204 || del.status === 200) {
            ctx.markCleaned(description);
            cleanup = ' Deleted again (RFC 7592).';
          } else cleanup = ` Deleting it answered ${del.status}; it is left at the AS.`;
        } catch (error) {
          cleanup = ` Deleting it failed (${(error as Error).message}); it is left at the AS.`;
        }
      } else cleanup = ' The AS offers no RFC 7592 management: the client is left at the AS.';
      const secret = typeof body.client_secret === 'string' ? ` with secret ${fingerprint(body.client_secret)}` : '';
      const echoed = Array.isArray(body.claims_redirect_uris) && body.claims_redirect_uris.includes(ctx.shared.claimsRedirectUri);
      const grants = Array.isArray(body.grant_types) && body.grant_types.includes(UMA_GRANT_TYPE);
      if (!echoed || !grants) {
        return deviation(`201, client ${clientId}${secret}, but the response does not echo ${[!echoed ? 'claims_redirect_uris' : '', !grants ? 'the UMA grant type' : ''].filter(Boolean).join(' and ')}.${cleanup}`, 'Do not assume the metadata was stored; a claims redirect may be refused.');
      }
      return pass(`201, client ${clientId}${secret}, claims_redirect_uris and the UMA grant echoed.${cleanup}`);
    },
  },
];
