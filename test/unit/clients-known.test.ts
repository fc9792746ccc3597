/** The engine's client rule without registration (what `tessera probe` and "Check this AS" use). */
import { describe, expect, it } from 'vitest';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import { ClientResolver, defaultClientCredentials } from '../../packages/uma/src/uma/clients';

const AS = 'https://as.example';

describe('ClientResolver.known', () => {
  it('a stored registration wins (with a configured auth method), then the default client, then a configured id; never registers', async () => {
    const store = new MemoryStore();
    const resolver = new ClientResolver({ store, defaultClient: { clientId: 'cli', clientSecret: 's3cret' } });
    expect(await resolver.known(AS, { issuer: AS })).toEqual({ client_id: 'cli', client_secret: 's3cret', auth_method: 'client_secret_basic', registration: 'static' });
    expect(await new ClientResolver({ store }).known(AS, { issuer: AS, client: { clientId: 'public-one', registration: 'static' } })).toEqual({ client_id: 'public-one', auth_method: 'none', registration: 'static' });
    expect(await new ClientResolver({ store }).known(AS, { issuer: AS, client: { registration: 'dynamic' } })).toBeUndefined();
    await store.put('client', storeKeys.client(AS), { client_id: 'stored', client_secret: 'x', auth_method: 'client_secret_basic', registration: 'static' }, { issuer: AS });
    expect(await resolver.known(AS, { issuer: AS, client: { authMethod: 'client_secret_post', registration: 'static' } })).toMatchObject({ client_id: 'stored', auth_method: 'client_secret_post' });
    expect(await store.list('client')).toHaveLength(1);
  });

  it('default client credentials: the auth method follows what was given', () => {
    expect(defaultClientCredentials({ clientId: 'a' }).auth_method).toBe('none');
    expect(defaultClientCredentials({ clientId: 'a', privateJwk: { kty: 'EC', d: 'x' } }).auth_method).toBe('private_key_jwt');
    expect(defaultClientCredentials({ clientId: 'a', clientSecret: 'b', authMethod: 'client_secret_post' }).auth_method).toBe('client_secret_post');
  });
});
