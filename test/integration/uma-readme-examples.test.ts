/**
 * The three examples of packages/uma/README.md, run against the demo's IdP, AS and RS: the README
 * shows the files in packages/uma/examples verbatim (checked here), and each example runs as written.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { pushIdToken } from '../../packages/uma/examples/push-id-token';
import { interactiveClaims } from '../../packages/uma/examples/interactive-claims';
import { waitForOwner } from '../../packages/uma/examples/pending-polling';
import { ownerSession, personOpens, signIn } from '../fixtures/demo-people';

const PACKAGE = join(import.meta.dirname, '..', '..', 'packages', 'uma');
const EXAMPLES = ['push-id-token.ts', 'interactive-claims.ts', 'pending-polling.ts'];

let demo: DemoHandle;
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
});
afterAll(async () => demo.close());

const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';
const client = () => ({ clientId: demo.config.as.tesseraClient.client_id, clientSecret: demo.config.as.tesseraClient.client_secret });
const common = () => ({ asIssuer: demo.config.as.issuer, client: client(), fingerprintKey: randomBytes(32) });

describe('packages/uma/README.md examples', () => {
  it('the README shows each example file verbatim, in a typescript block', () => {
    const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    for (const file of EXAMPLES) expect(blocks, file).toContain(readFileSync(join(PACKAGE, 'examples', file), 'utf8'));
  });

  it('1. push an ID token: granted at the first token request', async () => {
    const idToken = String((await signIn(demo.config, 'alice')).id_token);
    const body = await pushIdToken({ ...common(), resource: url('prescriptions'), idToken, party: `${demo.config.idp.issuer}#alice` });
    expect(body).toMatchObject({ kind: 'prescriptions' });
  });

  it('2. interactive claims: the person signs in at Hospital ID and accepts the terms in the browser', async () => {
    let opened = 0;
    const open = personOpens(demo.config, 'alice');
    const body = await interactiveClaims({ ...common(), resource: url('blood-test'), open: async (u) => { opened++; await open(u); } });
    expect(body).toMatchObject({ kind: 'lab-report' });
    expect(opened).toBe(1);
  });

  it('3. pending with polling: the owner approves while the client polls', async () => {
    const idToken = String((await signIn(demo.config, 'alice')).id_token);
    const pendings: { interval?: number; ticket?: string }[] = [];
    const kate = await ownerSession(demo.config);
    const approve = (async () => {
      for (let i = 0; i < 100 && !/data-request="[\w-]+"><td>Dr. Alice/.test(await kate.page()); i++) await new Promise((r) => setTimeout(r, 100));
      await kate.decide('approve');
    })();
    const body = await waitForOwner({ ...common(), resource: url('care-notes'), idToken, party: `${demo.config.idp.issuer}#alice`, maxWaitSeconds: 30, onPending: (p) => pendings.push(p) });
    await approve;
    expect(body).toMatchObject({ kind: 'care-notes' });
    expect(pendings).toHaveLength(1);
    expect(pendings[0]).toMatchObject({ interval: 1, ticket: expect.any(String) });
  });
});
