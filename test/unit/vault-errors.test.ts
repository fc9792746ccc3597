import { mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openVault, VaultError, VAULT_FILE } from '../../src/vault';
import { fakeSafeStorage } from './vault-fakes';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function home() {
  const d = await mkdtemp(join(tmpdir(), 'tessera-vault-'));
  dirs.push(d);
  return join(d, 'profile');
}
const cheap = { N: 1024, r: 8, p: 1 };

async function passphraseVault() {
  const h = await home();
  const v = await openVault({ home: h, backends: ['passphrase'], passphrase: 'right', scryptCost: cheap });
  await v.put('pct', 'k', { pct: 'PCT-SECRET-VALUE' }, { fingerprint: 'f' });
  await v.close();
  return { h, file: join(h, VAULT_FILE) };
}

async function expectVaultError(p: Promise<unknown>, code: string, file: string) {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(VaultError);
  expect((err as VaultError).code).toBe(code);
  expect((err as VaultError).file).toBe(file);
  expect((err as VaultError).message).toContain(file);
  expect((err as VaultError).hint.length).toBeGreaterThan(10);
}

describe('vault failures are typed and keep the file untouched', () => {
  it('wrong passphrase', async () => {
    const { h, file } = await passphraseVault();
    const before = await readFile(file);
    await expectVaultError(openVault({ home: h, passphrase: 'wrong' }), 'wrong_key', file);
    expect(await readFile(file)).toEqual(before);
  });

  it('missing passphrase for a passphrase vault; prompt is used when given', async () => {
    const { h, file } = await passphraseVault();
    await expectVaultError(openVault({ home: h }), 'backend_unavailable', file);
    const v = await openVault({ home: h, prompt: async () => 'right' });
    expect((await v.get('pct', 'k'))?.value).toEqual({ pct: 'PCT-SECRET-VALUE' });
    await v.close();
  });

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
    ['empty', () => Buffer.alloc(0)],
    ['not JSON', () => Buffer.from('garbage\u0000\u0001')],
    ['flipped ciphertext byte', (b: Buffer) => {
      const j = JSON.parse(b.toString());
      const ct = Buffer.from(j.body.ct, 'base64');
      ct[0] = ct[0]! ^ 1;
      j.body.ct = ct.toString('base64');
      return Buffer.from(JSON.stringify(j));
    }],
    ['swapped file id (AAD)', (b: Buffer) => {
      const j = JSON.parse(b.toString());
      j.fileId = 'f'.repeat(32);
      return Buffer.from(JSON.stringify(j));
    }],
  ])('%s file → damaged or wrong_key, file kept byte for byte', async (_n, damage) => {
    const { h, file } = await passphraseVault();
    const bad = damage(await readFile(file));
    await writeFile(file, bad);
    const err = await openVault({ home: h, passphrase: 'right' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(VaultError);
    expect(['damaged', 'wrong_key']).toContain((err as VaultError).code);
    expect((err as VaultError).file).toBe(file);
    expect(await readFile(file)).toEqual(bad);
  });

  it('a newer schema version is refused, not overwritten', async () => {
    const { h, file } = await passphraseVault();
    const j = JSON.parse((await readFile(file)).toString());
    j.version = 99;
    await writeFile(file, JSON.stringify(j));
    await expectVaultError(openVault({ home: h, passphrase: 'right' }), 'unsupported_version', file);
  });

  it('files are 0600 in a 0700 directory, and no temp files are left behind', async () => {
    const { h, file } = await passphraseVault();
    expect((await stat(h)).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(h)).toEqual([VAULT_FILE]);
  });

  it('the ciphertext is fresh on every write (new IV) and holds no plaintext', async () => {
    const { h, file } = await passphraseVault();
    const a = JSON.parse((await readFile(file)).toString());
    const v = await openVault({ home: h, passphrase: 'right' });
    await v.put('settings', 's', { x: 1 });
    await v.close();
    const b = JSON.parse((await readFile(file)).toString());
    expect(b.body.iv).not.toBe(a.body.iv);
    expect((await readFile(file)).toString()).not.toContain('PCT-SECRET-VALUE');
  });
});

describe('safeStorage backend', () => {
  it('refuses Linux basic_text and falls back (memory with a visible warning)', async () => {
    const h = await home();
    const v = await openVault({ home: h, safeStorage: fakeSafeStorage({ backend: 'basic_text' }), backends: ['safeStorage', 'memory'] });
    expect(v.backend).toBe('memory');
    expect(v.persistent).toBe(false);
    expect(v.warning).toMatch(/basic_text/);
    await expect(readdir(h)).resolves.toEqual([]);
  });

  it('refuses when encryption is unavailable', async () => {
    const v = await openVault({ home: await home(), safeStorage: fakeSafeStorage({ available: false }), backends: ['safeStorage', 'memory'] });
    expect(v.backend).toBe('memory');
  });

  it('an existing safeStorage vault under basic_text is refused with insecure_backend', async () => {
    const h = await home();
    const ss = fakeSafeStorage();
    const v = await openVault({ home: h, safeStorage: ss, backends: ['safeStorage'] });
    await v.close();
    const file = join(h, VAULT_FILE);
    await expectVaultError(openVault({ home: h, safeStorage: fakeSafeStorage({ backend: 'basic_text', key: ss.key }) }), 'insecure_backend', file);
    await expectVaultError(openVault({ home: h, safeStorage: fakeSafeStorage() }), 'wrong_key', file);
    await expectVaultError(openVault({ home: h }), 'backend_unavailable', file);
  });

  it('with no backend at all, the memory vault warns and writes nothing', async () => {
    const h = await home();
    const v = await openVault({ home: h, backends: ['passphrase', 'memory'] });
    expect(v.backend).toBe('memory');
    expect(v.warning).toMatch(/memory only/);
    await v.put('rpt', 'k', { access_token: 't' });
    expect(await readdir(h)).toEqual([]);
  });
});
