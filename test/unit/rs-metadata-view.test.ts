import { describe, expect, it } from 'vitest';
import { rsMetadataView } from '../../src/app/service';

describe('rsMetadataView (RFC 9728 metadata for the renderer)', () => {
  it('offers documentation as a link only when it is https, and bounds every string', () => {
    expect(rsMetadataView({ resource: 'https://rs.example', documentation: 'https://docs.example', source: 'challenge', url: 'x' }).documentationIsLink).toBe(true);
    for (const doc of ['http://docs.example', 'javascript:alert(1)', 'not a url', 'file:///etc/passwd']) {
      expect(rsMetadataView({ resource: 'https://rs.example', documentation: doc, source: 'challenge', url: 'x' }).documentationIsLink).toBe(false);
    }
    const view = rsMetadataView({ resource: 'https://rs.example', name: 'n'.repeat(5000), authorizationServers: Array.from({ length: 100 }, (_, i) => `https://as${i}.example`), source: 'well_known', url: 'x' });
    expect(view.name).toHaveLength(200);
    expect(view.authorizationServers).toHaveLength(32);
  });
});
