/**
 * Dynamic client registration (RFC 7591) against the fixture AS on 127.0.0.1: Tessera registers with
 * the UMA grant type and its loopback claims_redirect_uris and stores what the AS gave; an AS that
 * refuses gets a typed `registration_failed`; a registration endpoint on plain http elsewhere is
 * never contacted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../packages/uma/src/http/fetch';
import { Transcript } from '../../packages/uma/src/kernel/transcript';
import { processRegistrationResponse, registrationRequest } from '../../packages/uma/src/uma/registration';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';

let fx: Fixture;
let refusing: Server;
let refusingOrigin: string;
const bodies: Record<string, unknown>[] = [];
beforeAll(async () => {
  fx = await startFixture();
  refusing = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_redirect_uri', error_description: 'claims_redirect_uris not allowed' }));
    });
  });
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  refusingOrigin = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await fx.close();
  refusing.closeAllConnections();
  await new Promise((r) => refusing.close(r));
});

const metadata = (registration_endpoint: string) => ({ issuer: fx.asUri, token_endpoint: fx.tokenEndpoint, registration_endpoint });

describe('dynamic client registration', () => {
  it('registers with the UMA grant type and claims_redirect_uris; the answer becomes stored credentials', async () => {
    const transcript = new Transcript();
    const http = new HttpClient({ transcript });
    const response = await registrationRequest(metadata(`${fx.asOrigin}/register`), { claimsRedirectUris: ['http://127.0.0.1/uma/claims-callback'] }, { http, flowId: 'reg' });
    const client = await processRegistrationResponse(fx.asUri, response);
    expect(client).toEqual({ client_id: 'tessera', client_secret: 'fixture-secret-123', auth_method: 'client_secret_basic', registration: 'dynamic' });
    expect(fx.stats.registration).toBe(1);
    const step = transcript.steps[0]!;
    expect(step.kind).toBe('registration');
    expect(JSON.parse(step.request.body ?? '{}')).toMatchObject({ client_name: 'Tessera', grant_types: ['urn:ietf:params:oauth:grant-type:uma-ticket', 'refresh_token'], claims_redirect_uris: ['http://127.0.0.1/uma/claims-callback'] });
    // The issued secret is in the vault's hands, not the transcript's.
    expect(JSON.stringify(transcript.steps)).not.toContain('fixture-secret-123');
  });

  it('an AS that refuses: registration_failed naming the AS, with its error', async () => {
    const response = await registrationRequest(metadata(`${refusingOrigin}/register`), {}, { http: new HttpClient(), flowId: 'reg' });
    await expect(processRegistrationResponse(fx.asUri, response)).rejects.toMatchObject({ code: 'registration_failed', facts: { asIssuer: fx.asUri }, message: expect.stringContaining(fx.asUri) });
    expect(bodies.at(-1)).not.toHaveProperty('claims_redirect_uris');
  });

  it('a registration endpoint on plain http to another machine is refused before any request', async () => {
    const sent: string[] = [];
    const http = new HttpClient({ fetch: async (url) => { sent.push(url); return new Response('{}'); } });
    await expect(registrationRequest(metadata('http://as.example.test/register'), {}, { http, flowId: 'reg' })).rejects.toMatchObject({ code: 'insecure_transport', facts: { origin: 'http://as.example.test' } });
    expect(sent).toEqual([]);
  });
});
