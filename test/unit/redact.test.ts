import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Redactor, describeToken, fingerprint } from '../../packages/uma/src/kernel/redact';

const secret = fc.stringMatching(/^[A-Za-z0-9._~+/=-]{8,60}$/);

describe('redaction', () => {
  it('fingerprints are stable, short and one-way', () => {
    expect(fingerprint('abc')).toBe(fingerprint('abc'));
    expect(fingerprint('abc')).toMatch(/^fp:[A-Za-z0-9_-]{10}$/);
    expect(fingerprint('abc')).not.toContain('abc');
  });

  it('describes a JWT by its decoded claims, never the token', () => {
    const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b({ alg: 'RS256' })}.${b({ sub: 'alice', iss: 'https://idp' })}.sig`;
    const d = describeToken(jwt);
    expect(d.jwt?.claims.sub).toBe('alice');
    expect(JSON.stringify(d)).not.toContain(jwt);
  });

  test.prop([secret, secret, secret, secret, fc.constantFrom('access_token', 'refresh_token', 'id_token', 'pct', 'rpt', 'ticket', 'claim_token', 'client_secret', 'client_assertion')])(
    'no secret substring survives in headers, form and JSON bodies, URLs and challenges',
    (token, ticket, cookie, other, name) => {
      fc.pre(new Set([token, ticket, cookie, other]).size === 4);
      const r = new Redactor();
      const headers = r.headers({ Authorization: `Bearer ${token}`, cookie: `sid=${cookie}`, 'www-authenticate': `UMA as_uri="https://as", ticket="${ticket}"`, location: `https://x/cb?ticket=${encodeURIComponent(other)}&state=s` });
      const form = r.body(new URLSearchParams({ grant_type: 'x', [name]: other, ticket }).toString(), 'application/x-www-form-urlencoded');
      const json = r.body(JSON.stringify({ [name]: other, nested: { access_token: token } }), 'application/json');
      const url = r.url(`https://as/cb?${name}=${encodeURIComponent(other)}`);
      const out = JSON.stringify({ headers, form, json, url, again: r.scrub(`free text ${token} ${ticket} ${other}`) });
      for (const s of [token, ticket, cookie, other]) expect(out).not.toContain(s);
      expect(out).toContain('[redacted fp:');
    },
  );

  it('redacts Basic credentials and the client secret inside them', () => {
    const r = new Redactor();
    const basic = Buffer.from('client:s3cret-value').toString('base64');
    const out = r.headers({ authorization: `Basic ${basic}` });
    expect(out.authorization).toMatch(/^Basic \[redacted fp:/);
    expect(r.scrub('the secret is s3cret-value')).not.toContain('s3cret-value');
  });

  it('never lists base64 padding ("=") as a token: a Basic credential is one token68', () => {
    const r = new Redactor();
    const basic = Buffer.from('tessera:s3cret-v').toString('base64');
    expect(basic.endsWith('==')).toBe(true);
    r.headers({ authorization: `Basic ${basic}` });
    const lengths = [...r.tokens.values()].map((t) => t.length);
    expect(lengths.every((n) => n >= 4), JSON.stringify(lengths)).toBe(true);
    // Cookies still give up their values.
    const c = new Redactor();
    c.headers({ cookie: 'sid=abcdef123456; theme=dark' });
    expect(c.scrub('abcdef123456')).not.toContain('abcdef123456');
  });
});
