import { describe, expect, it } from 'vitest';
import { buildInteractionUrl, newBoundState, stateMatches } from '../../packages/uma/src/uma/interaction-url';

const base = { clientId: 'tessera', ticket: 't2', claimsRedirectUri: 'http://127.0.0.1:5555/uma/claims-callback', state: 's' };

describe('buildInteractionUrl', () => {
  it('adds the four parameters to an endpoint without a query', () => {
    const u = buildInteractionUrl({ ...base, endpoint: 'https://as.example/claims' });
    expect(Object.fromEntries(u.searchParams)).toEqual({
      client_id: 'tessera', ticket: 't2', claims_redirect_uri: base.claimsRedirectUri, state: 's',
    });
  });
  it('keeps Janssen redirect_user query without duplicating client_id or ticket', () => {
    const u = buildInteractionUrl({ ...base, endpoint: 'https://as.example/restv1/uma/gather_claims?client_id=tessera&ticket=t2&x=1' });
    expect(u.searchParams.getAll('client_id')).toEqual(['tessera']);
    expect(u.searchParams.getAll('ticket')).toEqual(['t2']);
    expect(u.searchParams.get('x')).toBe('1');
  });
  it('refuses a plain-http non-loopback endpoint', () => {
    expect(() => buildInteractionUrl({ ...base, endpoint: 'http://as.example/claims' })).toThrow(/https/);
  });
});

describe('state binding', () => {
  it('matches only the same state, AS and ticket', () => {
    const { state, binding } = newBoundState('https://as', 't1');
    expect(state.length).toBeGreaterThanOrEqual(43);
    expect(stateMatches(binding, state, 'https://as', 't1')).toBe(true);
    expect(stateMatches(binding, state, 'https://other', 't1')).toBe(false);
    expect(stateMatches(binding, state, 'https://as', 't2')).toBe(false);
    expect(stateMatches(binding, 'x', 'https://as', 't1')).toBe(false);
    expect(stateMatches(binding, null, 'https://as', 't1')).toBe(false);
  });
});
