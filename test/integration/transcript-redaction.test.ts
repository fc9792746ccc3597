import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { startFixture } from '../fixtures/uma-fixture';

describe('transcript of a real flow', () => {
  it('never contains a client secret, claim token, ticket, RPT or PCT, whatever their spelling', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9._~+/=-]{12,40}$/),
        fc.stringMatching(/^[A-Za-z0-9._~+/=-]{12,40}$/),
        fc.constantFrom<'client_secret_basic' | 'client_secret_post'>('client_secret_basic', 'client_secret_post'),
        async (clientSecret, claimToken, authMethod) => {
          fc.pre(clientSecret !== claimToken);
          const fx = await startFixture({ clientSecret });
          try {
            const agent = createAgent({
              store: new MemoryStore(),
              trust: { authorizationServers: [{ issuer: fx.asUri }] },
              defaultClient: { clientId: 'tessera', clientSecret, authMethod },
              claims: { claimTokenFor: async () => ({ claim_token: claimToken, claim_token_format: 'urn:example:opaque' }) },
            });
            const result = await agent.fetch(fx.rs('/r/r'));
            expect(result.outcome).toBe('granted');
            expect(fx.state.pcts.size).toBe(1);
            const text = JSON.stringify(result.steps);
            const secrets = [clientSecret, claimToken, encodeURIComponent(clientSecret), ...fx.state.tickets.keys(), ...fx.state.rpts.keys(), ...fx.state.pcts];
            for (const s of secrets) expect(text).not.toContain(s);
          } finally {
            await fx.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
