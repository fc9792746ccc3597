import { describe, expect, it } from 'vitest';
import { processUmaTokenResponse, umaTokenParameters } from '../../packages/uma/src/uma/grant';
import { repairRedirectUser } from '../../packages/uma/src/uma/agent';
import { matchesRequiredClaims } from '../../packages/uma/src/uma/claims';

const res = (status: number, body: unknown) => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('processUmaTokenResponse: spec and vendor forms', () => {
  const cases: [string, number, unknown, string][] = [
    ['spec success', 200, { access_token: 'a', token_type: 'Bearer', pct: 'p', upgraded: true }, 'token'],
    ['spec invalid_grant', 400, { error: 'invalid_grant' }, 'invalid_ticket'],
    ['Keycloak 403 invalid_ticket', 403, { error: 'invalid_ticket', error_description: 'Invalid permission ticket.' }, 'invalid_ticket'],
    ['Janssen 400 invalid_ticket', 400, { error: 'invalid_ticket' }, 'invalid_ticket'],
    ['Janssen 400 expired_ticket', 400, { error: 'expired_ticket' }, 'invalid_ticket'],
    ['spec need_info', 403, { error: 'need_info', ticket: 't2', redirect_user: 'https://as/claims' }, 'need_info'],
    ['spec request_submitted', 403, { error: 'request_submitted', ticket: 't2', interval: 5 }, 'request_submitted'],
    ['spec request_denied', 403, { error: 'request_denied' }, 'denied'],
    ['Keycloak not_authorized', 403, { error: 'access_denied', error_description: 'not_authorized' }, 'denied'],
    ['Keycloak request_submitted', 403, { error: 'access_denied', error_description: 'request_submitted' }, 'request_submitted'],
    ['Janssen forbidden_by_policy', 403, { error: 'forbidden_by_policy' }, 'denied'],
    ['Janssen 401 invalid_pct', 401, { error: 'invalid_pct' }, 'invalid_pct'],
    ['Keycloak 403 invalid_rpt', 403, { error: 'invalid_rpt' }, 'invalid_rpt'],
    ['Janssen 400 invalid_rpt', 400, { error: 'invalid_rpt' }, 'invalid_rpt'],
    ['invalid_scope', 400, { error: 'invalid_scope' }, 'invalid_scope'],
    ['invalid_client', 401, { error: 'invalid_client' }, 'invalid_client'],
    ['5xx without body', 502, '<html>bad gateway</html>', 'server_error'],
    ['unknown error', 400, { error: 'invalid_request', error_description: 'Claim token format [https://…] not supported' }, 'error'],
    ['200 without access_token', 200, { result: true }, 'error'],
  ];
  for (const [name, status, body, type] of cases) {
    it(`${name} → ${type}`, async () => {
      expect((await processUmaTokenResponse(res(status, body))).type).toBe(type);
    });
  }

  it('keeps Keycloak request_submitted as vendor form without ticket', async () => {
    expect(await processUmaTokenResponse(res(403, { error: 'access_denied', error_description: 'request_submitted' }))).toEqual({ type: 'request_submitted', vendor: 'keycloak' });
  });

  it('need_info without a ticket is an error', async () => {
    expect((await processUmaTokenResponse(res(403, { error: 'need_info' }))).type).toBe('error');
  });

  it('reads success members; expires_in may be a numeric string', async () => {
    const r = await processUmaTokenResponse(res(200, { access_token: 'a', token_type: 'Bearer', expires_in: '300', refresh_token: 'r', 'not-before-policy': 0 }));
    expect(r).toEqual({ type: 'token', token: { accessToken: 'a', tokenType: 'Bearer', expiresIn: 300, refreshToken: 'r' } });
  });
});

describe('request building', () => {
  it('sends claim_token and claim_token_format together, and pct, rpt, scope', () => {
    const p = umaTokenParameters({ ticket: 't', claimToken: { claim_token: 'c', claim_token_format: 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken' }, pct: 'p', rpt: 'r', scope: 'read write' });
    expect(Object.fromEntries(p)).toEqual({ ticket: 't', claim_token: 'c', claim_token_format: 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken', pct: 'p', rpt: 'r', scope: 'read write' });
  });

  it("sends Keycloak's submit_request only when configured", () => {
    expect(umaTokenParameters({ ticket: 't' }).has('submit_request')).toBe(false);
    expect(umaTokenParameters({ ticket: 't', submitRequest: false }).get('submit_request')).toBe('false');
    expect(umaTokenParameters({ ticket: 't', submitRequest: true }).get('submit_request')).toBe('true');
  });

  it('repairs a ?-less redirect_user (Janssen) and keeps a proper one', () => {
    expect(repairRedirectUser('https://j/uma/gather_claims&client_id=c&ticket=t')).toBe('https://j/uma/gather_claims?client_id=c&ticket=t');
    expect(repairRedirectUser('https://as/claims?id=1&x=2')).toBe('https://as/claims?id=1&x=2');
  });
});

describe('required_claims matching', () => {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b({ alg: 'none' })}.${b({ iss: 'https://idp', sub: 'alice', email: 'a@x' })}.`;
  const token = { claim_token: jwt, claim_token_format: 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken' };
  it('matches by format, issuer and name', () => {
    expect(matchesRequiredClaims([{ name: 'email', issuer: ['https://idp'], claim_token_format: [token.claim_token_format] }], token)).toBe(true);
    expect(matchesRequiredClaims([{ name: 'email', issuer: ['https://other'] }], token)).toBe(false);
    expect(matchesRequiredClaims([{ name: 'country' }], token)).toBe(false);
    expect(matchesRequiredClaims([{ claim_token_format: ['urn:x'] }], token)).toBe(false);
    expect(matchesRequiredClaims(undefined, token)).toBe(true);
  });
  it('accepts Gravitee-style requests for the parameters themselves', () => {
    expect(matchesRequiredClaims([{ name: 'claim_token' }, { name: 'claim_token_format', claim_token_format: [token.claim_token_format] }], token)).toBe(true);
  });
});
