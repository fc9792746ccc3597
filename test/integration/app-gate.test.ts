/**
 * The app's vault gate (src/app/gate.ts) without an OS keyring: the first run asks for a passphrase
 * (or "keep nothing"), later runs start locked; wrong passphrases are slowed down in time, never lock
 * the data away; a forgotten passphrase moves the old vault aside; damaged files (vault, history,
 * preferences) are kept aside and said once; the passphrase never comes back out.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../src/app/api';
import { AppGate, unlockDelayMs, type GateOptions } from '../../src/app/gate';
import { HISTORY_FILE } from '../../src/app/history';
import { openVault } from '../../src/vault';

const homes: string[] = [];
const gates: AppGate[] = [];
afterEach(async () => {
  for (const g of gates.splice(0)) await g.close().catch(() => undefined);
  for (const h of homes.splice(0)) await rm(h, { recursive: true, force: true });
});
async function newHome(): Promise<string> {
  const h = await mkdtemp(join(tmpdir(), 'tessera-gate-'));
  homes.push(h);
  return h;
}
const cheap = { N: 1024, r: 8, p: 1 };
async function gate(home: string, extra: Partial<GateOptions> = {}): Promise<AppGate> {
  const g = await AppGate.open({ home, mode: 'browser', opener: async () => {}, backends: [], scryptCost: cheap, ...extra });
  gates.push(g);
  return g;
}
async function closeAll(): Promise<void> { for (const g of gates.splice(0)) await g.close(); }
const PASS = 'correct horse battery staple';

describe('the vault gate without an OS keyring', () => {
  it('first run asks to create a passphrase; the next run asks to unlock; the CLI opens the same vault', async () => {
    const home = await newHome();
    const first = await gate(home);
    expect((await first.getState()).lock).toMatchObject({ state: 'create' });
    await expect(first.call('openResource', { url: 'https://rs.example/x' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(first.call('createVault', { passphrase: 'short' })).rejects.toThrow(/at least 8/);
    const events: ApiEvent[] = [];
    first.subscribe((e) => events.push(e));
    const state = await first.call('createVault', { passphrase: PASS });
    expect(state.lock).toBeUndefined();
    expect(state.vault.backend).toBe('passphrase');
    await first.call('setTheme', { theme: 'dark' });
    expect(JSON.stringify(events)).not.toContain(PASS);
    await closeAll();

    const again = await gate(home);
    const locked = await again.getState();
    expect(locked.lock).toMatchObject({ state: 'unlock' });
    // Preferences live without the vault: the theme is there before the unlock.
    expect(locked.theme).toBe('dark');
    const opened = await again.call('unlock', { passphrase: PASS });
    expect(opened.lock).toBeUndefined();
    await closeAll();
    const cli = await openVault({ home, passphrase: PASS });
    expect(cli.backend).toBe('passphrase');
    await cli.close();
  });

  it('TESSERA_PASSPHRASE opens it without the screen; a wrong one starts locked, not failed', async () => {
    const home = await newHome();
    await (await gate(home, { passphrase: PASS })).getState();
    await closeAll();
    expect((await (await gate(home, { passphrase: PASS })).getState()).lock).toBeUndefined();
    await closeAll();
    expect((await (await gate(home, { passphrase: 'not it at all' })).getState()).lock).toMatchObject({ state: 'unlock', error: { code: 'wrong_passphrase' } });
  });

  it('wrong passphrases: a clear error, retry, slowed down in time from the third; the file is untouched and still opens', async () => {
    const home = await newHome();
    await (await gate(home)).call('createVault', { passphrase: PASS });
    await closeAll();
    const before = await readFile(join(home, 'vault.json'));
    let now = 1_000_000;
    const g = await gate(home, { now: () => now });
    const a = await g.call('unlock', { passphrase: 'wrong one' });
    expect(a.lock).toMatchObject({ state: 'unlock', error: { code: 'wrong_passphrase' } });
    expect(a.lock?.retryAt).toBeUndefined();
    const b = await g.call('unlock', { passphrase: 'wrong two' });
    expect(b.lock?.retryAt).toBe(now + 2_000);
    const c = await g.call('unlock', { passphrase: PASS });
    expect(c.lock).toMatchObject({ error: { code: 'too_soon' } });
    now += 2_000;
    expect((await g.call('unlock', { passphrase: PASS })).lock).toBeUndefined();
    expect(await readFile(join(home, 'vault.json'))).toEqual(before);
    expect([0, 1, 2, 3, 4, 10].map(unlockDelayMs)).toEqual([0, 0, 2_000, 4_000, 8_000, 60_000]);
  });

  it('a forgotten passphrase: "start a new vault" renames the old one aside (never deletes it) and says where', async () => {
    const home = await newHome();
    const g0 = await gate(home);
    await g0.call('createVault', { passphrase: PASS });
    await closeAll();
    const old = await readFile(join(home, 'vault.json'));
    const g = await gate(home);
    const moved = await g.call('startNewVault', { confirm: true });
    expect(moved.lock).toMatchObject({ state: 'create' });
    const notice = moved.notices?.find((n) => n.code === 'vault_moved');
    expect(notice?.path).toMatch(/vault\.old-[\dT-]+Z\.json$/);
    expect(await readFile(notice!.path!)).toEqual(old);
    const fresh = await g.call('createVault', { passphrase: 'a new passphrase' });
    expect(fresh.lock).toBeUndefined();
    // Said once: dismissed, it is gone.
    expect((await g.call('dismissNotice', { id: notice!.id })).notices).toEqual([]);
  });

  it('"Don\'t keep anything" is a choice: memory only, nothing written, asked again next time', async () => {
    const home = await newHome();
    const g = await gate(home);
    const state = await g.call('keepNothing', {});
    expect(state.vault).toMatchObject({ backend: 'memory', memoryChosen: true });
    await closeAll();
    expect(await readdir(home)).not.toContain('vault.json');
    expect((await (await gate(home)).getState()).lock).toMatchObject({ state: 'create' });
  });

  it('a damaged vault file (a directory, truncated) is kept aside, said once, and the app starts as on a first run', async () => {
    for (const damage of ['directory', 'truncated'] as const) {
      const home = await newHome();
      if (damage === 'directory') await mkdir(join(home, 'vault.json', 'x'), { recursive: true });
      else await writeFile(join(home, 'vault.json'), '{"format":"tessera-vault","vers');
      const g = await gate(home);
      const state = await g.getState();
      expect(state.lock).toMatchObject({ state: 'create' });
      const notice = state.notices?.find((n) => n.code === 'vault_damaged');
      expect(notice?.path).toMatch(/vault\.damaged-[\dT-]+Z\.json$/);
      expect((await lstat(notice!.path!)).isDirectory()).toBe(damage === 'directory');
      await closeAll();
      expect((await (await gate(home)).getState()).notices).toEqual([]);
      await closeAll();
    }
  });

  /** The history file damaged each way the issue lists, after a run that wrote a good one. */
  const damages: [string, (file: string) => Promise<void>][] = [
    ['a directory', async (file) => { await rm(file, { force: true }); await mkdir(join(file, 'inside'), { recursive: true }); }],
    ['truncated', async (file) => { const good = await readFile(file); await writeFile(file, good.subarray(0, Math.floor(good.length / 2))); }],
    ['a flipped byte', async (file) => {
      const doc = JSON.parse(await readFile(file, 'utf8')) as { ct: string };
      const ct = Buffer.from(doc.ct, 'base64');
      ct[0] = (ct[0] ?? 0) ^ 0x80;
      await writeFile(file, JSON.stringify({ ...doc, ct: ct.toString('base64') }));
    }],
    ['a foreign file', async (file) => writeFile(file, '<html>not a history</html>')],
    ['empty', async (file) => writeFile(file, '')],
    ['a symlink', async (file) => { await rm(file, { force: true }); await writeFile(`${file}.elsewhere`, '{}'); await symlink(`${file}.elsewhere`, file); }],
  ];
  for (const [what, damage] of damages) {
    it(`history file ${what}: the app starts, keeps it aside, says so once`, async () => {
      const home = await newHome();
      const first = await gate(home, { passphrase: PASS });
      await first.call('setTheme', { theme: 'dark' });
      await closeAll();
      const file = join(home, HISTORY_FILE);
      expect((await lstat(file)).isFile()).toBe(true);
      await damage(file);
      const g = await gate(home, { passphrase: PASS });
      const state = await g.getState();
      expect(state.lock).toBeUndefined();
      expect(state.flows).toEqual([]);
      const notice = state.notices?.find((n) => n.code === 'history_damaged');
      expect(notice?.path).toMatch(/history\.damaged-[\dT-]+Z\.json$/);
      await lstat(notice!.path!);
      expect((await g.call('dismissNotice', { id: notice!.id })).notices).toEqual([]);
      await closeAll();
      // The next start finds a good history (written by the run above) and nothing to say.
      expect((await (await gate(home, { passphrase: PASS })).getState()).notices).toEqual([]);
    });
  }

  it('preferences (theme, last screen, window size) live in a plain file without the vault, even while locked or memory-only', async () => {
    const home = await newHome();
    const g = await gate(home);
    await g.call('setPreferences', { screen: 'tokens', window: { width: 1000, height: 700 } });
    await g.call('setTheme', { theme: 'light' });
    await expect(g.call('setPreferences', { window: { width: 10, height: 10 } })).rejects.toThrow();
    await g.call('keepNothing', {});
    await closeAll();
    expect(JSON.parse(await readFile(join(home, 'preferences.json'), 'utf8'))).toEqual({ theme: 'light', screen: 'tokens', window: { width: 1000, height: 700 } });
    const again = await gate(home);
    expect(again.preferences.window).toEqual({ width: 1000, height: 700 });
    expect(await again.getState()).toMatchObject({ theme: 'light', screen: 'tokens' });
  });

  it('the app changes the passphrase (the current one first; a wrong one changes nothing) and moves the vault to the OS keyring and back', async () => {
    const home = await newHome();
    const g = await gate(home);
    await g.call('createVault', { passphrase: PASS });
    await g.call('setTheme', { theme: 'dark' });
    await g.vault!.put('rpt', 'k', { access_token: 'RPT-KEPT' }, {});
    await expect(g.call('protectVault', { to: 'passphrase', current: 'not it', newPassphrase: 'a brand new one' })).rejects.toMatchObject({ code: 'wrong_key' });
    expect((await g.getState()).vault.backend).toBe('passphrase');
    const changed = await g.call('protectVault', { to: 'passphrase', current: PASS, newPassphrase: 'a brand new one' });
    expect(changed.vault.backend).toBe('passphrase');
    expect((await g.vault!.get<{ access_token: string }>('rpt', 'k'))?.value.access_token).toBe('RPT-KEPT');
    await closeAll();
    await expect(openVault({ home, passphrase: PASS })).rejects.toMatchObject({ code: 'wrong_key' });
    const again = await gate(home);
    expect((await again.call('unlock', { passphrase: 'a brand new one' })).lock).toBeUndefined();
    const { probeKeyring } = await import('../../src/vault/protectors');
    const probe = await probeKeyring();
    if (!probe.ok) {
      console.log(`skipped: the move to the OS keyring (${probe.reason})`);
      return;
    }
    expect((await again.call('protectVault', { to: 'keyring', current: 'a brand new one' })).vault.backend).toBe('keyring');
    await closeAll();
    // The keyring opens it without asking; and back to a passphrase.
    const k = await gate(home, { backends: ['keyring'] });
    expect((await k.getState()).lock).toBeUndefined();
    expect((await k.call('protectVault', { to: 'passphrase', newPassphrase: PASS })).vault.backend).toBe('passphrase');
    expect((await k.vault!.get<{ access_token: string }>('rpt', 'k'))?.value.access_token).toBe('RPT-KEPT');
  });

  it('a vault whose key store cannot give the key (keyring gone, or a desktop vault in browser mode) starts on a screen that says so, not a failed start', async () => {
    for (const key of [{ backend: 'keyring', service: 'tessera-vault', account: 'gone-0123' }, { backend: 'safeStorage', wrapped: 'AAAA' }]) {
      const home = await newHome();
      const vaultFile = { format: 'tessera-vault', version: 1, fileId: '0'.repeat(32), key, body: { iv: 'AAAAAAAAAAAAAAAA', ct: 'AA==', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' } };
      await writeFile(join(home, 'vault.json'), JSON.stringify(vaultFile));
      const g = await gate(home);
      const state = await g.getState();
      expect(state.lock).toMatchObject({ state: 'unavailable', error: { code: expect.stringMatching(/^(backend_unavailable|key_missing)$/) } });
      // Try again: still unavailable, still running; a new vault keeps the old file aside.
      expect((await g.call('retryVault', {})).lock?.state).toBe('unavailable');
      const moved = await g.call('startNewVault', { confirm: true });
      expect(moved.lock?.state).toBe('create');
      expect(JSON.parse(await readFile(moved.notices!.find((n) => n.code === 'vault_moved')!.path!, 'utf8'))).toEqual(vaultFile);
      await closeAll();
    }
  });

  it('damaged preferences are kept aside and the defaults apply', async () => {
    const home = await newHome();
    await writeFile(join(home, 'preferences.json'), '{"theme": 42');
    const state = await (await gate(home)).getState();
    expect(state.theme).toBe('system');
    expect(state.notices?.map((n) => n.code)).toEqual(['preferences_damaged']);
  });
});
