/**
 * DPoP-bound RPTs at the demo AS and RS (RFC 9449), over real HTTP, with proofs made by oauth4webapi
 * (`oauth.DPoP`; its `modifyAssertion` hook spoils one claim where a test needs a bad proof): the AS
 * binds the RPT to the proof's key (`token_type: DPoP`, `cnf.jkt` at introspection), refuses bad
 * proofs, binds refreshes; the RS serves a bound RPT only with a proof of its key for this request and
 * token; server nonces at both (§8, §9).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { parseDpopNonce, startDemo, type DemoHandle } from '../../src/demo';
import { parseWwwAuthenticate } from '../../packages/uma/src/uma/challenge';
import { signIn } from '../fixtures/demo-people';

const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
const UMA = 'urn:ietf:params:oauth:grant-type:uma-ticket';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

interface Demo { handle: DemoHandle; alice: string; pat: string }
type KeyPair = Awaited<ReturnType<typeof oauth.generateKeyPair>>;
type Tamper = (header: Record<string, unknown>, payload: Record<string, unknown>) => void;

async function start(dpopNonce?: { as?: boolean; rs?: boolean }): Promise<Demo> {
  const handle = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, introspectionCacheMs: 0, ...(dpopNonce ? { dpopNonce } : {}) });
  const alice = String((await signIn(handle.config, 'alice')).id_token);
  const r = await fetch(`${handle.config.as.issuer}/token`, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from('health-records-rs:health-records-rs-demo-secret').toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=uma_protection' });
  return { handle, alice, pat: String(((await r.json()) as { access_token: string }).access_token) };
}

const client: oauth.Client = { client_id: 'tessera' };
const keys = (alg = 'ES256') => oauth.generateKeyPair(alg, { extractable: true });
const proofs = (keyPair: KeyPair, tamper?: Tamper) => oauth.DPoP(client, keyPair, tamper ? { [oauth.modifyAssertion]: tamper } : {});
const jktOf = async (keyPair: KeyPair) => calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
const recordUrl = (d: Demo, name = 'prescriptions') => d.handle.config.rs.resources.find((r) => r.name === name)?.url ?? '';

function helpers(d: () => Demo) {
  const meta = (): oauth.AuthorizationServer => ({ issuer: d().handle.config.as.issuer, token_endpoint: `${d().handle.config.as.issuer}/token` });
  const secret = () => oauth.ClientSecretBasic(d().handle.config.as.tesseraClient.client_secret);
  const body = async (r: Response) => ({ status: r.status, headers: r.headers, body: (await r.json().catch(() => ({}))) as Record<string, unknown> });
  async function ticket(name = 'prescriptions'): Promise<string> {
    const r = await fetch(recordUrl(d(), name));
    await r.body?.cancel();
    return parseWwwAuthenticate([r.headers.get('www-authenticate') ?? '']).find((c) => c.scheme.toLowerCase() === 'uma')?.params.ticket ?? '';
  }
  const grant = async (dpop?: oauth.DPoPHandle, params: Record<string, string> = {}) => body(await oauth.genericTokenEndpointRequest(meta(), client, secret(), UMA,
    new URLSearchParams({ ticket: params.ticket ?? await ticket(), claim_token: d().alice, claim_token_format: ID_TOKEN, ...params }), { ...insecure, ...(dpop ? { DPoP: dpop } : {}) }));
  const refresh = async (refreshToken: string, dpop?: oauth.DPoPHandle) => body(await oauth.refreshTokenGrantRequest(meta(), client, secret(), refreshToken, { ...insecure, ...(dpop ? { DPoP: dpop } : {}) }));
  const introspect = async (token: string) => body(await fetch(`${d().handle.config.as.issuer}/uma/introspect`, { method: 'POST', headers: { Authorization: `Bearer ${d().pat}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() }));
  /** A resource request as oauth4webapi makes it (DPoP scheme and proof when a handle is given); the headers it sent are kept. */
  async function call(rpt: string, dpop?: oauth.DPoPHandle, url = recordUrl(d())) {
    let sent: Record<string, string> = {};
    const capture = (input: string | URL | Request, init?: RequestInit) => { sent = { ...(init?.headers as Record<string, string>) }; return fetch(input, init); };
    let response: Response;
    try {
      response = await oauth.protectedResourceRequest(rpt, 'GET', new URL(url), new Headers(), null, { ...insecure, [oauth.customFetch]: capture, ...(dpop ? { DPoP: dpop } : {}) });
    } catch (error) {
      if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
      response = error.response;
    }
    return { ...(await body(response)), sent };
  }
  const challenges = (headers: Headers) => parseWwwAuthenticate([headers.get('www-authenticate') ?? '']);
  return { grant, refresh, introspect, call, challenges, ticket };
}

describe('DPoP at the demo AS and RS (no nonces)', () => {
  let d: Demo;
  const h = helpers(() => d);
  beforeAll(async () => { d = await start(); });
  afterAll(async () => d.handle.close());

  it('advertises dpop_signing_alg_values_supported in the UMA and RFC 8414 documents, and the RS in its resource metadata', async () => {
    for (const path of ['/.well-known/uma2-configuration', '/.well-known/oauth-authorization-server']) {
      const doc = (await (await fetch(`${d.handle.config.as.issuer}${path}`)).json()) as Record<string, unknown>;
      expect(doc.dpop_signing_alg_values_supported).toEqual(['ES256', 'PS256', 'RS256', 'EdDSA', 'Ed25519']);
    }
    const rs = (await (await fetch(`${new URL(d.handle.config.rs.url).origin}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
    expect(rs).toMatchObject({ dpop_signing_alg_values_supported: ['ES256', 'PS256', 'RS256', 'EdDSA', 'Ed25519'], dpop_bound_access_tokens_required: false });
  });

  it('without a proof nothing changes: a Bearer RPT, introspection without cnf, served as Bearer', async () => {
    const r = await h.grant();
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('Bearer');
    const info = await h.introspect(String(r.body.access_token));
    expect(info.body).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(info.body.cnf).toBeUndefined();
    expect((await h.call(String(r.body.access_token))).status).toBe(200);
  });

  it('binds the RPT to the proof key (token_type DPoP, cnf.jkt at introspection) and the RS serves it with a proof of that key', async () => {
    for (const alg of ['ES256', 'PS256', 'RS256', 'Ed25519']) {
      const key = await keys(alg);
      const dpop = proofs(key);
      const r = await h.grant(dpop);
      expect(r.status, alg).toBe(200);
      expect(r.body.token_type).toBe('DPoP');
      const rpt = String(r.body.access_token);
      const info = await h.introspect(rpt);
      expect(info.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: await jktOf(key) } });
      const ok = await h.call(rpt, dpop);
      expect(ok.sent.authorization).toBe(`DPoP ${rpt}`);
      expect(ok.status, alg).toBe(200);
      expect((ok.body.prescriptions as unknown[]).length).toBe(3);
    }
  });

  it('EdDSA (the older name) is accepted too', async () => {
    const dpop = oauth.DPoP(client, await keys('Ed25519'), { [oauth.modifyAssertion]: (header) => { header.alg = 'EdDSA'; } });
    const r = await h.grant(dpop);
    expect(r.status).toBe(200);
    expect((await h.call(String(r.body.access_token), dpop)).status).toBe(200);
  });

  describe('the RS refuses a bound RPT', () => {
    let key: KeyPair;
    let rpt: string;
    beforeAll(async () => {
      key = await keys();
      const r = await h.grant(proofs(key));
      rpt = String(r.body.access_token);
    });

    it('as Bearer (no proof): 401 DPoP error="invalid_token" and a UMA challenge with a new ticket to recover', async () => {
      const r = await h.call(rpt);
      expect(r.sent.authorization).toBe(`Bearer ${rpt}`);
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_token');
      const [dpop, uma] = h.challenges(r.headers);
      expect(dpop?.scheme.toLowerCase()).toBe('dpop');
      expect(dpop?.params).toMatchObject({ error: 'invalid_token', algs: 'ES256 PS256 RS256 EdDSA Ed25519' });
      expect(uma?.scheme.toLowerCase()).toBe('uma');
      expect(uma?.params.ticket).toBeTruthy();
      expect(uma?.params.as_uri).toBe(d.handle.config.as.issuer);
    });

    it('with the DPoP scheme but no proof: invalid_token', async () => {
      const r = await fetch(recordUrl(d), { headers: { Authorization: `DPoP ${rpt}` } });
      expect(r.status).toBe(401);
      expect(h.challenges(r.headers)[0]?.params.error).toBe('invalid_token');
    });

    it('with a proof from another key: invalid_token, and a new ticket', async () => {
      const r = await h.call(rpt, proofs(await keys()));
      expect(r.status).toBe(401);
      expect(h.challenges(r.headers).map((c) => [c.scheme.toLowerCase(), c.params.error])).toEqual([['dpop', 'invalid_token'], ['uma', undefined]]);
    });

    const spoiled: [string, Tamper][] = [
      ['a wrong ath (the proof is for another token)', (_h, p) => { p.ath = 'Lv3F0yDoaGDB9wm_e5qQbx2B-vpPhoEMZnVXsDdV4OE'; }],
      ['a wrong htu', (_h, p) => { p.htu = `${d.handle.config.rs.url}/patients/kate/bills`; }],
      ['a wrong htm', (_h, p) => { p.htm = 'PUT'; }],
      ['a stale iat (10 minutes old)', (_h, p) => { p.iat = Number(p.iat) - 600; }],
      ['an iat in the future', (_h, p) => { p.iat = Number(p.iat) + 600; }],
      ['typ jwt', (header) => { header.typ = 'jwt'; }],
    ];
    for (const [what, tamper] of spoiled) {
      it(`with ${what}: 401 DPoP error="invalid_dpop_proof"`, async () => {
        const r = await h.call(rpt, proofs(key, tamper));
        expect(r.status).toBe(401);
        expect(r.body.error).toBe('invalid_dpop_proof');
        expect(h.challenges(r.headers).map((c) => [c.scheme.toLowerCase(), c.params.error])).toEqual([['dpop', 'invalid_dpop_proof']]);
      });
    }

    it('a replayed proof (same jti): the first is served, the copy refused', async () => {
      const first = await h.call(rpt, proofs(key));
      expect(first.status).toBe(200);
      const again = await fetch(recordUrl(d), { headers: first.sent });
      expect(again.status).toBe(401);
      expect(((await again.json()) as { error_description: string }).error_description).toMatch(/jti/);
    });

    it('the query does not count in htu; a proof with a query in htu still matches', async () => {
      const withQuery = await h.call(rpt, proofs(key), `${recordUrl(d)}?x=1`);
      expect(withQuery.status).toBe(200);
    });

    it('two DPoP headers: invalid_dpop_proof', async () => {
      const first = await h.call(rpt, proofs(key));
      expect(first.status).toBe(200);
      const headers = new Headers({ authorization: `DPoP ${rpt}` });
      headers.append('dpop', first.sent.dpop ?? '');
      headers.append('dpop', first.sent.dpop ?? '');
      const r = await fetch(recordUrl(d), { headers });
      expect(r.status).toBe(401);
      expect(h.challenges(r.headers)[0]?.params.error).toBe('invalid_dpop_proof');
    });
  });

  it('the DPoP scheme for a bearer RPT: invalid_token (there is no key to match)', async () => {
    const bearerRpt = String((await h.grant()).body.access_token);
    const r = await h.call(bearerRpt, proofs(await keys()));
    expect(r.status).toBe(401);
    expect(h.challenges(r.headers)[0]?.params.error).toBe('invalid_token');
  });

  describe('the AS refuses a bad proof with 400 invalid_dpop_proof, and keeps the ticket', () => {
    const bad: [string, () => Promise<oauth.DPoPHandle>][] = [
      ['typ jwt', async () => proofs(await keys(), (header) => { header.typ = 'jwt'; })],
      ['htu of another endpoint', async () => proofs(await keys(), (_h, p) => { p.htu = `${d.handle.config.as.issuer}/uma/introspect`; })],
      ['htm GET', async () => proofs(await keys(), (_h, p) => { p.htm = 'GET'; })],
      ['a stale iat', async () => proofs(await keys(), (_h, p) => { p.iat = Number(p.iat) - 600; })],
      ['a private key in jwk', async () => {
        const key = await keys();
        const privateJwk = await exportJWK(key.privateKey);
        return proofs(key, (header) => { header.jwk = privateJwk; });
      }],
      ['no jti', async () => proofs(await keys(), (_h, p) => { delete p.jti; })],
    ];
    for (const [what, make] of bad) {
      it(what, async () => {
        const ticket = await h.ticket();
        const r = await h.grant(await make(), { ticket });
        expect(r.status).toBe(400);
        expect(r.body.error).toBe('invalid_dpop_proof');
        // The ticket was not used up by the refused request (RFC 9449 §4.3 is checked first).
        expect((await h.grant(undefined, { ticket })).status).toBe(200);
      });
    }

    it('a symmetric alg (HS256, made with jose): invalid_dpop_proof', async () => {
      const proof = await new SignJWT({ jti: 'x1', htm: 'POST', htu: `${d.handle.config.as.issuer}/token` })
        .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZQ' } as { kty: string } }).setIssuedAt()
        .sign(new TextEncoder().encode('secret-secret-secret-secret-32byte'));
      const r = await fetch(`${d.handle.config.as.issuer}/token`, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from('tessera:tessera-demo-secret').toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded', DPoP: proof },
        body: new URLSearchParams({ grant_type: UMA, ticket: await h.ticket(), claim_token: d.alice, claim_token_format: ID_TOKEN }).toString() });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    });

    it('a replayed proof at the token endpoint', async () => {
      let sent: Record<string, string> = {};
      const capture = (input: string | URL | Request, init?: RequestInit) => { sent = { ...(init?.headers as Record<string, string>) }; return fetch(input, init); };
      const meta = { issuer: d.handle.config.as.issuer, token_endpoint: `${d.handle.config.as.issuer}/token` };
      const first = await oauth.genericTokenEndpointRequest(meta, client, oauth.ClientSecretBasic('tessera-demo-secret'), UMA, new URLSearchParams({ ticket: await h.ticket(), claim_token: d.alice, claim_token_format: ID_TOKEN }), { ...insecure, DPoP: proofs(await keys()), [oauth.customFetch]: capture });
      expect(first.status).toBe(200);
      const again = await fetch(meta.token_endpoint, { method: 'POST', headers: sent, body: new URLSearchParams({ grant_type: UMA, ticket: await h.ticket(), claim_token: d.alice, claim_token_format: ID_TOKEN }).toString() });
      expect(again.status).toBe(400);
      expect(((await again.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    });
  });

  it('refresh of a bound grant needs the same key (RFC 9449 §5); a refused refresh does not use up the refresh token', async () => {
    const key = await keys();
    const first = await h.grant(proofs(key));
    const refreshToken = String(first.body.refresh_token);
    const without = await h.refresh(refreshToken);
    expect(without.status).toBe(400);
    expect(without.body.error).toBe('invalid_grant');
    const other = await h.refresh(refreshToken, proofs(await keys()));
    expect(other.status).toBe(400);
    expect(other.body.error).toBe('invalid_grant');
    const same = await h.refresh(refreshToken, proofs(key));
    expect(same.status).toBe(200);
    expect(same.body.token_type).toBe('DPoP');
    expect((await h.introspect(String(same.body.access_token))).body.cnf).toEqual({ jkt: await jktOf(key) });
  });

  it('refresh of a bearer grant with a proof binds the new RPT; an upgrade folds in a bound RPT only with its key', async () => {
    const bearer = await h.grant();
    const key = await keys();
    const refreshed = await h.refresh(String(bearer.body.refresh_token), proofs(key));
    expect(refreshed.body.token_type).toBe('DPoP');
    const bound = String(refreshed.body.access_token);
    // `rpt` of a bound RPT with another key: no upgrade (upgraded false), the old RPT untouched.
    const stranger = await h.grant(proofs(await keys()), { ticket: await h.ticket(), rpt: bound });
    expect(stranger.body.upgraded).toBe(false);
    expect((await h.introspect(bound)).body.active).toBe(true);
    const owner = await h.grant(proofs(key), { ticket: await h.ticket(), rpt: bound });
    expect(owner.body.upgraded).toBe(true);
  });
});

describe('DPoP nonces (the demo option dpopNonce)', () => {
  let d: Demo;
  const h = helpers(() => d);
  beforeAll(async () => { d = await start({ as: true, rs: true }); });
  afterAll(async () => d.handle.close());

  it('AS: 400 use_dpop_nonce + DPoP-Nonce, the same ticket then succeeds with the nonce; Bearer grants are unaffected', async () => {
    const dpop = proofs(await keys());
    const ticket = await h.ticket();
    const first = await h.grant(dpop, { ticket });
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toBeTruthy();
    // oauth4webapi keeps the nonce from the answer; the retry carries it.
    const second = await h.grant(dpop, { ticket });
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
    // Every answer to a proof names the nonce to use next (§8).
    expect(second.headers.get('dpop-nonce')).toBe(nonce);
    const bearer = await h.grant();
    expect(bearer.body.token_type).toBe('Bearer');
    expect(bearer.headers.get('dpop-nonce')).toBeNull();
    const forged = await h.grant(proofs(await keys(), (_h, p) => { p.nonce = 'not-a-nonce-of-this-as'; }));
    expect(forged.body.error).toBe('use_dpop_nonce');
  });

  it('RS: 401 DPoP error="use_dpop_nonce" + DPoP-Nonce, the retry with it is served', async () => {
    const dpop = proofs(await keys());
    let r = await h.grant(dpop);
    if (r.body.error === 'use_dpop_nonce') r = await h.grant(dpop);
    const rpt = String(r.body.access_token);
    const first = await h.call(rpt, dpop);
    expect(first.status).toBe(401);
    expect(h.challenges(first.headers)[0]?.params.error).toBe('use_dpop_nonce');
    expect(first.headers.get('dpop-nonce')).toBeTruthy();
    const second = await h.call(rpt, dpop);
    expect(second.sent.dpop).toBeTruthy();
    expect(second.status).toBe(200);
    expect(second.headers.get('dpop-nonce')).toBe(first.headers.get('dpop-nonce'));
    // The nonce of the AS is not the RS's: each server checks its own.
    const atAs = proofs(await keys(), (_h, p) => { p.nonce = String(r.headers.get('dpop-nonce')); });
    expect((await h.call(rpt, atAs)).body.error).toBe('use_dpop_nonce');
  });
});

describe('the demo CLI option', () => {
  it('as, rs or both: which servers ask for nonces; empty or absent: none', () => {
    expect(parseDpopNonce('as')).toEqual({ as: true, rs: false });
    expect(parseDpopNonce('rs')).toEqual({ as: false, rs: true });
    expect(parseDpopNonce('both')).toEqual({ as: true, rs: true });
    expect(parseDpopNonce('')).toBeUndefined();
    expect(parseDpopNonce(undefined)).toBeUndefined();
    expect(() => parseDpopNonce('AS')).toThrow(/must be as, rs or both/);
  });

  it('refuses a --dpop-nonce value other than as, rs or both', async () => {
    const { main } = await import('../../src/demo/cli');
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => { errors.push(String(chunk)); return true; }) as typeof process.stderr.write;
    try {
      expect(await main(['--dpop-nonce', 'idp', '--memory'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toMatch(/--dpop-nonce must be as, rs or both/);
  });
});
