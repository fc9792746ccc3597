import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeKeys } from '../../packages/uma/src/kernel/store';
import { openVault, VaultError } from '../../src/vault';
import { discardKey } from '../../src/vault/protectors';
import { parseVaultFile } from '../../src/vault/file-vault';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function home() {
  const d = await mkdtemp(join(tmpdir(), 'tessera-vault-int-'));
  dirs.push(d);
  return d;
}

/**
 * Against a real Secret Service (gnome-keyring under dbus-run-session, see .ci/run). Without one this
 * fails, on purpose; set TESSERA_SKIP_KEYRING_TEST=1 to skip it explicitly.
 */
describe.skipIf(process.env.TESSERA_SKIP_KEYRING_TEST === '1')('OS keyring backend (real Secret Service)', () => {
  it('round-trips through the keyring and reports a missing key entry as key_missing', async () => {
    const h = await home();
    const v = await openVault({ home: h, backends: ['keyring'] }).catch((e: unknown) => {
      throw new Error(`No Secret Service reachable (${(e as VaultError).hint}). Run under dbus-run-session with an unlocked gnome-keyring (see .ci/run), or set TESSERA_SKIP_KEYRING_TEST=1 to skip this test explicitly.`);
    });
    expect(v.backend).toBe('keyring');
    await v.put('client', 'https://as', { client_secret: 'KEYRING-SECRET' });
    await v.close();
    const v2 = await openVault({ home: h, backends: ['keyring'] });
    expect((await v2.get('client', 'https://as'))?.value).toEqual({ client_secret: 'KEYRING-SECRET' });
    await v2.close();
    const file = join(h, 'vault.json');
    const before = await readFile(file);
    await discardKey(parseVaultFile(before, file).key);
    const err = await openVault({ home: h }).then(() => undefined, (e: unknown) => e);
    expect((err as VaultError).code).toBe('key_missing');
    expect(await readFile(file)).toEqual(before);
  }, 30_000);
});

/** Realistic secrets: the scan below must never find any of them on disk. */
const SECRETS = {
  rpt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInBlcm1pc3Npb25zIjpbXX0.c2lnbmF0dXJlLXJwdC0xMjM0NQ',
  refresh: 'rt-7f3a9c2e1b4d4e8f9a0b1c2d3e4f5a6b',
  pct: 'pct-0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a',
  idToken: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJkci1hbGljZSJ9.aWQtdG9rZW4tc2lnbmF0dXJl',
  clientSecret: 'cs-kate-health-4b1d2c3e4f5a6b7c8d9e',
  privateKey: '-----BEGIN PRIVATE KEY-----MC4CAQAwBQYDK2VwBCIEIJ7Jd9Xb',
  ticket: 'ticket-016f84e8-f9b9-11e0-bd6f-0021cc6004de',
};

describe('no secret on disk', () => {
  it('after a full set of realistic records and rewrites, no secret substring appears anywhere under TESSERA_HOME', async () => {
    const h = await home();
    const v = await openVault({ home: h, passphrase: 'scan-pass', backends: ['passphrase'], scryptCost: { N: 1024, r: 8, p: 1 } });
    const as = 'https://as.example';
    await v.put('rpt', storeKeys.rpt(as, 'https://rs.example', 'nobody'), { access_token: SECRETS.rpt, refresh_token: SECRETS.refresh, ticket: SECRETS.ticket }, { issuer: as, rsOrigin: 'https://rs.example', fingerprint: 'sha256:ab12', permissions: [{ resource_id: 'rec-1', resource_scopes: ['view'] }] });
    await v.put('pct', storeKeys.pct(as, 'https://op#alice', 'tessera'), { pct: SECRETS.pct });
    await v.put('identity', storeKeys.identity('https://op', 'alice'), { id_token: SECRETS.idToken, refresh_token: SECRETS.refresh });
    await v.put('client', storeKeys.client(as), { client_id: 'tessera', client_secret: SECRETS.clientSecret, private_key: SECRETS.privateKey });
    await v.update('rpt', storeKeys.rpt(as, 'https://rs.example', 'nobody'), (cur) => cur && { value: cur.value, meta: { ...cur.meta, label: 'upgraded' } });
    await v.close();

    const files: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else files.push(p);
      }
    };
    await walk(h);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect((await stat(f)).mode & 0o077).toBe(0);
      const text = (await readFile(f)).toString('latin1');
      for (const [name, secret] of Object.entries(SECRETS)) {
        for (const probe of [secret, secret.slice(8, 24), Buffer.from(secret).toString('base64').slice(4, 24)]) {
          expect(text.includes(probe), `${name} found in ${f}`).toBe(false);
        }
      }
    }
  });
});
