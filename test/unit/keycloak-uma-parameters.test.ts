import { describe, expect, it } from 'vitest';
import { keycloakUmaParameters } from '../../packages/uma/src/uma/grant';

describe("keycloakUmaParameters (Keycloak's ticketless UMA request)", () => {
  it('sends audience, each permission, response_mode and submit_request; no ticket', () => {
    const body = keycloakUmaParameters({ audience: 'health-records', permissions: ['rx#read', 'bills'], responseMode: 'decision', submitRequest: false });
    expect(body.get('audience')).toBe('health-records');
    expect(body.getAll('permission')).toEqual(['rx#read', 'bills']);
    expect(body.get('response_mode')).toBe('decision');
    expect(body.get('submit_request')).toBe('false');
    expect(body.has('ticket')).toBe(false);
  });
  it('leaves out what was not asked', () => {
    expect([...keycloakUmaParameters({ audience: 'rs' }).keys()]).toEqual(['audience']);
  });
});

describe('isKeycloakIssuer (the request builder offers Keycloak options for these)', () => {
  it('is the realm shape, behind any base path', async () => {
    const { isKeycloakIssuer } = await import('../../packages/uma/src/uma/keycloak-request');
    expect(isKeycloakIssuer('http://127.0.0.1:8080/realms/kate')).toBe(true);
    expect(isKeycloakIssuer('https://sso.example/auth/realms/demo/')).toBe(true);
    expect(isKeycloakIssuer('https://as.example')).toBe(false);
    expect(isKeycloakIssuer('https://as.example/realms/kate/protocol')).toBe(false);
    expect(isKeycloakIssuer('not a url')).toBe(false);
  });
});
