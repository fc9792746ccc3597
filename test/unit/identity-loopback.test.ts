/** The one-shot loopback listener and the claims-interaction runner built on it. */
import { describe, expect, it } from 'vitest';
import { startLoopback } from '../../packages/uma/src/uma/loopback';
import { loopbackInteraction } from '../../packages/uma/src/uma/interaction';
import { browserCommand } from '../../packages/uma/src/identity/opener';

const get = (url: string) => fetch(url).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('loopback listener (RFC 8252 §7.3)', () => {
  it('binds 127.0.0.1 on an ephemeral port, accepts exactly one matching request and says "return to Tessera"', async () => {
    const lb = await startLoopback({ path: '/oidc/callback', stateOk: (s) => s === 'good' });
    expect(lb.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oidc\/callback$/);
    const page = await get(`${lb.redirectUri}?code=c1&state=good`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('return to Tessera');
    expect((await lb.result).get('code')).toBe('c1');
    // One shot: a second request is not accepted, and the listener closes right after.
    // (404 while the listener is closing, or no connection at all once it has closed)
    const second = await get(`${lb.redirectUri}?code=c2&state=good`).then((r) => r.status, () => 'closed');
    expect([404, 'closed']).toContain(second);
    await new Promise((r) => setTimeout(r, 150));
    await expect(fetch(`${lb.redirectUri}?code=c3&state=good`)).rejects.toThrow();
  });

  it('refuses other paths and wrong states without ending the wait; a timeout then reports the mismatch', async () => {
    const lb = await startLoopback({ path: '/oidc/callback', stateOk: (s) => s === 'good', timeoutMs: 600 });
    const base = new URL(lb.redirectUri);
    expect((await get(`${base.origin}/oidc/callback/x?state=good`)).status).toBe(404);
    expect((await get(`${base.origin}/other?state=good`)).status).toBe(404);
    expect((await get(`${lb.redirectUri}?code=evil&state=forged`)).status).toBe(400);
    await expect(lb.result).rejects.toMatchObject({ code: 'state_mismatch' });
  });

  it('still completes after a forged request when the real one follows', async () => {
    const lb = await startLoopback({ path: '/cb', stateOk: (s) => s === 'good' });
    expect((await get(`${lb.redirectUri}?state=forged`)).status).toBe(400);
    await get(`${lb.redirectUri}?code=real&state=good`);
    expect((await lb.result).get('code')).toBe('real');
  });

  it('turns an error redirect into a typed error, and honours timeout and cancel', async () => {
    const lb = await startLoopback({ path: '/cb', stateOk: () => true });
    await get(`${lb.redirectUri}?error=access_denied&error_description=User%20cancelled&state=s`);
    await expect(lb.result).rejects.toMatchObject({ code: 'interaction_error', message: expect.stringContaining('access_denied') });
    const slow = await startLoopback({ path: '/cb', stateOk: () => true, timeoutMs: 200 });
    await expect(slow.result).rejects.toMatchObject({ code: 'interaction_timeout' });
    const controller = new AbortController();
    const cancelled = await startLoopback({ path: '/cb', stateOk: () => true, signal: controller.signal });
    controller.abort();
    await expect(cancelled.result).rejects.toMatchObject({ code: 'interaction_cancelled' });
  });

  it('escapes what it echoes into the page', async () => {
    const lb = await startLoopback({ path: '/cb', stateOk: () => true });
    const page = await get(`${lb.redirectUri}?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=s`);
    expect(page.text).not.toContain('<script>');
    await lb.result.catch(() => undefined);
  });
});

describe('claims interaction runner', () => {
  const asIssuer = 'http://127.0.0.1:9/as';
  /** A stand-in for the person's browser: follows the interaction URL's claims_redirect_uri itself. */
  const browserReturning = (params: (sent: URL) => Record<string, string>) => async (url: string) => {
    const sent = new URL(url);
    const back = new URL(sent.searchParams.get('claims_redirect_uri') ?? '');
    for (const [k, v] of Object.entries(params(sent))) back.searchParams.set(k, v);
    void fetch(back).catch(() => undefined);
  };

  it('keeps the query of redirect_user, adds the parameters, and returns the new ticket', async () => {
    let opened = '';
    const interaction = loopbackInteraction({ open: async (url) => { opened = url; await browserReturning((sent) => ({ ticket: 'new-ticket', state: sent.searchParams.get('state') ?? '' }))(url); } });
    const result = await interaction.gather({ asIssuer, endpoint: 'http://127.0.0.1:9/claims?id=2346576421&client_id=janssen-client', clientId: 'tessera', ticket: 'old-ticket' });
    expect(result.ticket).toBe('new-ticket');
    const sent = new URL(opened);
    expect(sent.searchParams.get('id')).toBe('2346576421');
    expect(sent.searchParams.getAll('client_id')).toEqual(['janssen-client']);
    expect(sent.searchParams.get('ticket')).toBe('old-ticket');
    expect(sent.searchParams.get('state')?.length).toBeGreaterThanOrEqual(43);
  });

  it('tolerates unencoded extra parameters on the return (Janssen)', async () => {
    const interaction = loopbackInteraction({
      open: async (url) => {
        const sent = new URL(url);
        const back = `${sent.searchParams.get('claims_redirect_uri')}?ticket=t2&state=${sent.searchParams.get('state')}&session_state=a b|c&authorization_state=claims_submitted`;
        void fetch(back.replace(/ /g, '%20')).catch(() => undefined);
      },
    });
    expect((await interaction.gather({ asIssuer, endpoint: 'http://127.0.0.1:9/claims', clientId: 'c', ticket: 't1' })).ticket).toBe('t2');
  });

  it('an unchanged or missing ticket is an error; a non-https endpoint is refused', async () => {
    const same = loopbackInteraction({ open: browserReturning((sent) => ({ ticket: 'same', state: sent.searchParams.get('state') ?? '' })) });
    await expect(same.gather({ asIssuer, endpoint: 'http://127.0.0.1:9/claims', clientId: 'c', ticket: 'same' })).rejects.toMatchObject({ code: 'ticket_not_rotated' });
    const none = loopbackInteraction({ open: browserReturning((sent) => ({ state: sent.searchParams.get('state') ?? '' })) });
    await expect(none.gather({ asIssuer, endpoint: 'http://127.0.0.1:9/claims', clientId: 'c', ticket: 't' })).rejects.toMatchObject({ code: 'interaction_failed' });
    const insecure = loopbackInteraction({ open: async () => {} });
    await expect(insecure.gather({ asIssuer, endpoint: 'http://as.example/claims', clientId: 'c', ticket: 't' })).rejects.toMatchObject({ code: 'interaction_failed' });
  });

  it("a state from another ticket's interaction is refused", async () => {
    let stolen = '';
    const first = loopbackInteraction({ open: async (url) => { stolen = new URL(url).searchParams.get('state') ?? ''; }, timeoutMs: 300 });
    await expect(first.gather({ asIssuer, endpoint: 'http://127.0.0.1:9/claims', clientId: 'c', ticket: 'ticket-A' })).rejects.toMatchObject({ code: 'interaction_timeout' });
    const second = loopbackInteraction({ open: browserReturning(() => ({ ticket: 'x', state: stolen })), timeoutMs: 500 });
    await expect(second.gather({ asIssuer, endpoint: 'http://127.0.0.1:9/claims', clientId: 'c', ticket: 'ticket-B' })).rejects.toMatchObject({ code: 'state_mismatch' });
  });
});

describe('BROWSER command', () => {
  it('replaces %s or appends the URL, honouring quotes', () => {
    expect(browserCommand('firefox', 'http://x/?a=1')).toEqual(['firefox', 'http://x/?a=1']);
    expect(browserCommand('"/opt/My Browser/bin" --new-window %s', 'u')).toEqual(['/opt/My Browser/bin', '--new-window', 'u']);
  });
});
