/**
 * `tessera trust add|list|remove` persists trust in config.json, so `fetch` without `--trust`
 * works for an AS trusted once; `whoami` marks the default identity and `--use` changes it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../fixtures/cli-run';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';

let fx: Fixture;
let home: string;
beforeAll(async () => {
  fx = await startFixture({ policies: { bills: 'allow' } });
  home = await mkdtemp(join(tmpdir(), 'tessera-trust-'));
});
afterAll(async () => {
  await fx.close();
  await rm(home, { recursive: true, force: true });
});

const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
const creds = ['--client-id', 'tessera', '--client-secret', 'fixture-secret-123'];

describe('tessera trust', () => {
  it('an untrusted AS is refused with advice naming trust add; after trust add, fetch works without --trust; remove undoes it', async () => {
    const before = await run(['fetch', fx.rs('/r/bills'), ...creds, '--json']);
    expect(before.code).toBe(5);
    expect(JSON.parse(before.stdout).error.hint).toContain(`tessera trust add ${fx.asUri}`);

    expect((await run(['trust', 'add', fx.asUri, '--label', 'Fixture AS'])).code).toBe(0);
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { trust: { authorizationServers: { issuer: string; label?: string }[] } };
    expect(config.trust.authorizationServers).toEqual([{ issuer: fx.asUri, label: 'Fixture AS' }]);
    expect((await run(['trust', 'list'])).stdout).toContain(fx.asUri);

    const after = await run(['fetch', fx.rs('/r/bills'), ...creds, '--json']);
    expect(JSON.parse(after.stdout).outcome).toBe('granted');

    expect((await run(['trust', 'add', fx.asUri])).stdout).toContain('updated');
    expect((await run(['trust', 'remove', `${fx.asUri}/`])).code).toBe(0);
    expect(JSON.parse((await run(['trust', 'list', '--json'])).stdout)).toEqual([]);
    expect((await run(['fetch', fx.rs('/r/bills'), ...creds, '--json'])).code).toBe(5);
  });

  it('refuses bad input clearly and changes nothing', async () => {
    const bad = await run(['trust', 'add', 'javascript:alert(1)']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not an http(s) URL');
    expect((await run(['trust', 'remove', 'https://never.example'])).stderr).toContain('is not trusted');
    expect((await run(['trust', 'frobnicate'])).code).toBe(1);
    expect(JSON.parse((await run(['trust', 'list', '--json'])).stdout)).toEqual([]);
  });
});
