/** Changing how the vault is protected (new passphrase, other backend) and cleaning stale temp files. */
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { openVault, rekeyVault, VaultError } from '../../src/vault';
import { fakeSafeStorage } from './vault-fakes';

const cheap = { N: 1024, r: 8, p: 1 };
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function home() {
  const d = await mkdtemp(join(tmpdir(), 'tessera-rekey-'));
  dirs.push(d);
  return d;
}

describe('vault re-key', () => {
  it('changes the passphrase: records survive, the old passphrase no longer opens it, the file is re-encrypted', async () => {
    const h = await home();
    const v = await openVault({ home: h, backends: ['passphrase'], passphrase: 'old-pass-1', scryptCost: cheap });
    await v.put('rpt', 'k', { access_token: 'RPT-SECRET' }, { fingerprint: 'fp' });
    await v.close();
    const before = JSON.parse(await readFile(join(h, 'vault.json'), 'utf8')) as { fileId: string; body: { ct: string } };
    const result = await rekeyVault({ home: h, passphrase: 'old-pass-1', to: 'passphrase', newPassphrase: 'new-pass-2', scryptCost: cheap });
    expect(result).toEqual({ from: 'passphrase', to: 'passphrase', records: 1 });
    const after = JSON.parse(await readFile(join(h, 'vault.json'), 'utf8')) as { fileId: string; body: { ct: string } };
    expect(after.fileId).not.toBe(before.fileId);
    expect(after.body.ct).not.toBe(before.body.ct);
    await expect(openVault({ home: h, passphrase: 'old-pass-1' })).rejects.toMatchObject({ code: 'wrong_key' });
    const reopened = await openVault({ home: h, passphrase: 'new-pass-2' });
    expect((await reopened.get('rpt', 'k'))?.value).toEqual({ access_token: 'RPT-SECRET' });
    await reopened.close();
  });

  it('a wrong current passphrase or a missing new one changes nothing', async () => {
    const h = await home();
    const v = await openVault({ home: h, backends: ['passphrase'], passphrase: 'right-pass', scryptCost: cheap });
    await v.put('pct', 'p', { pct: 'x' });
    await v.close();
    const before = await readFile(join(h, 'vault.json'), 'utf8');
    await expect(rekeyVault({ home: h, passphrase: 'wrong-pass', to: 'passphrase', newPassphrase: 'whatever-1' })).rejects.toBeInstanceOf(VaultError);
    await expect(rekeyVault({ home: h, passphrase: 'right-pass', to: 'passphrase' })).rejects.toMatchObject({ code: 'wrong_key' });
    await expect(rekeyVault({ home: h, passphrase: 'right-pass', to: 'safeStorage' })).rejects.toMatchObject({ code: 'backend_unavailable' });
    expect(await readFile(join(h, 'vault.json'), 'utf8')).toBe(before);
  });

  it('moves a passphrase vault to safeStorage (desktop) and back', async () => {
    const h = await home();
    const safeStorage = fakeSafeStorage();
    const v = await openVault({ home: h, backends: ['passphrase'], passphrase: 'pass-phrase', scryptCost: cheap });
    await v.put('identity', 'i', { id_token: 'ID' });
    await v.close();
    await rekeyVault({ home: h, passphrase: 'pass-phrase', to: 'safeStorage', safeStorage });
    const desktop = await openVault({ home: h, safeStorage });
    expect(desktop.backend).toBe('safeStorage');
    expect((await desktop.get('identity', 'i'))?.value).toEqual({ id_token: 'ID' });
    await desktop.close();
    await rekeyVault({ home: h, safeStorage, to: 'passphrase', newPassphrase: 'back-again', scryptCost: cheap });
    expect((await openVault({ home: h, passphrase: 'back-again' })).backend).toBe('passphrase');
  });

  it('tessera vault rekey changes the passphrase from the environment and refuses a short one', async () => {
    const h = await home();
    const v = await openVault({ home: h, backends: ['passphrase'], passphrase: 'cli-old-pass', scryptCost: cheap });
    await v.put('rpt', 'k', { access_token: 'T' });
    await v.close();
    const io = (env: Record<string, string>) => { let out = ''; let err = ''; return { env: { TESSERA_HOME: h, ...env }, stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t), get out() { return out; }, get err() { return err; } }; };
    const short = io({ TESSERA_PASSPHRASE: 'cli-old-pass', TESSERA_NEW_PASSPHRASE: 'short' });
    expect(await main(['vault', 'rekey'], short)).toBe(1);
    expect(short.err).toContain('shorter than 8');
    const ok = io({ TESSERA_PASSPHRASE: 'cli-old-pass', TESSERA_NEW_PASSPHRASE: 'cli-new-passphrase' });
    expect(await main(['vault', 'rekey'], ok)).toBe(0);
    expect(ok.out).toContain('1 records re-encrypted');
    expect(ok.out + ok.err).not.toContain('cli-new-passphrase');
    expect((await openVault({ home: h, passphrase: 'cli-new-passphrase' })).backend).toBe('passphrase');
  }, 30_000);
});

describe('stale temp files', () => {
  it('are removed at open when their writer is gone; a live writer’s temp file is kept', async () => {
    const h = await home();
    const v = await openVault({ home: h, backends: ['passphrase'], passphrase: 'pw-pw-pw', scryptCost: cheap });
    await v.close();
    await writeFile(join(h, '.vault.json.999999.abcdef.tmp'), 'ciphertext');
    await writeFile(join(h, `.vault.json.${process.ppid}.abcdef.tmp`), 'ciphertext');
    await writeFile(join(h, 'unrelated.tmp'), 'x');
    await (await openVault({ home: h, passphrase: 'pw-pw-pw' })).close();
    const names = await readdir(h);
    expect(names).not.toContain('.vault.json.999999.abcdef.tmp');
    expect(names).toContain(`.vault.json.${process.ppid}.abcdef.tmp`);
    expect(names).toContain('unrelated.tmp');
  });
});
