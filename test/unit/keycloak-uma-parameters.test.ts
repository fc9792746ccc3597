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
