/**
 * Damaged state in the page (browser mode, headless Chromium, the demo servers): a directory in place
 * of the history file used to stop Tessera from starting (EISDIR), and a truncated, tampered, foreign
 * or empty one (or a symlink) was silently replaced by an empty history. Now, for each, the app
 * starts, the page says once where the damaged file was kept, and after OK (and another restart)
 * says nothing more.
 */
import { lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';
import { HISTORY_FILE } from '../../src/app/history';

let app: AppInBrowser;
beforeAll(async () => { app = await startAppInBrowser({ name: 'damaged' }); });
afterAll(async () => { await app?.close(); });

/** Each kind of damage the issue lists, done to the history file while Tessera is stopped. */
const damages: [string, (file: string) => Promise<void>, RegExp][] = [
  ['a directory', async (file) => { await rm(file, { force: true }); await mkdir(join(file, 'inside'), { recursive: true }); }, /a directory, not a file/],
  ['truncated', async (file) => { const good = await readFile(file); await writeFile(file, good.subarray(0, Math.floor(good.length / 2))); }, /truncated or foreign/],
  ['a flipped byte', async (file) => {
    const doc = JSON.parse(await readFile(file, 'utf8')) as { ct: string };
    const ct = Buffer.from(doc.ct, 'base64');
    ct[0] = (ct[0] ?? 0) ^ 0x01;
    await writeFile(file, JSON.stringify({ ...doc, ct: ct.toString('base64') }));
  }, /failed authentication/],
  ['a foreign file', async (file) => writeFile(file, 'PK\x03\x04 not a history'), /truncated or foreign/],
  ['empty', async (file) => writeFile(file, ''), /empty/],
  ['a symlink', async (file) => { await rm(file, { force: true }); await writeFile(`${file}.elsewhere`, '{}'); await symlink(`${file}.elsewhere`, file); }, /symbolic link/],
];

describe('a damaged history file', () => {
  for (const [what, damage, reason] of damages) {
    it(`${what}: the app starts, the page says once where the file was kept, OK makes it go`, async () => {
      const page = app.page;
      await page.getByRole('button', { name: 'Resources', exact: true }).waitFor({ timeout: 30_000 });
      const file = join(app.home, HISTORY_FILE);
      await app.restart(async () => {
        expect((await lstat(file)).isFile()).toBe(true);
        await damage(file);
      });
      const notice = page.getByRole('region', { name: 'Kept aside' });
      await notice.waitFor({ timeout: 30_000 });
      expect(await notice.count()).toBe(1);
      expect(await notice.innerText()).toContain('Your history could not be read');
      expect(await notice.innerText()).toMatch(reason);
      const kept = await notice.locator('code').innerText();
      expect(kept).toMatch(/history\.damaged-[\dT-]+Z\.json$/);
      await lstat(kept);
      await page.getByRole('heading', { name: "Kate's prescriptions" }).waitFor();
      if (what === 'a directory') {
        await app.shot('damaged-history-notice');
        await app.axe('damaged-history-notice');
      }
      await notice.getByRole('button', { name: 'OK' }).click();
      await expect.poll(() => notice.count()).toBe(0);
      await app.restart();
      await page.getByRole('heading', { name: "Kate's prescriptions" }).waitFor({ timeout: 30_000 });
      expect(await page.getByRole('region', { name: 'Kept aside' }).count()).toBe(0);
    });
  }
});
