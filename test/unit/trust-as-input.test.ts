/**
 * "Trust this AS" at the IPC boundary (src/app/api.ts): the same rule as adding an AS in Connections
 * (src/app/as-input.ts, RFC 8414 §2: https, plain http only on this machine, no userinfo), so a value a
 * hostile RS put in a challenge's as_uri cannot become a trusted AS that the Connections form refuses.
 */
import { describe, expect, it } from 'vitest';
import { parseCall } from '../../src/app/api';

describe('trustAs input', () => {
  it('refuses plain http to another machine and credentials in the URL; accepts https and this machine', () => {
    for (const issuer of ['http://as.remote.example', 'https://user:pw@as.example', 'javascript:alert(1)']) {
      expect(() => parseCall('trustAs', { issuer }), issuer).toThrow();
    }
    expect(parseCall('trustAs', { issuer: 'https://as.example/realms/a' }).input).toEqual({ issuer: 'https://as.example/realms/a' });
    expect(parseCall('trustAs', { issuer: 'http://127.0.0.1:4401' }).input).toEqual({ issuer: 'http://127.0.0.1:4401' });
  });
});
