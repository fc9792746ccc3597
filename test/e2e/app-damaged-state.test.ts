/**
 * Damaged state in the page (browser mode, headless Chromium, the demo servers): a directory in place
 * of the history file used to stop Tessera from starting (EISDIR); now the app starts, the page says
 * once where the damaged file was kept, and after OK (and another restart) says nothing more. The
 * other kinds of damage (truncation, a flipped byte, a foreign file, empty, a symlink) are the same
 * path through the core: test/integration/app-gate.test.ts runs each.
 */
import { lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';
import { HISTORY_FILE } from '../../src/app/history';

let app: AppInBrowser;
beforeAll(async () => { app = await startAppInBrowser({ name: 'damaged' }); });
afterAll(async () => { await app?.close(); });

describe('a damaged history file', () => {
  it('the app starts, the page says once where the file was kept, OK makes it go', async () => {
    const page = app.page;
    await page.getByRole('heading', { name: "Kate's prescriptions" }).waitFor({ timeout: 30_000 });
    const file = join(app.home, HISTORY_FILE);
    await app.restart(async () => {
      await rm(file, { force: true });
      await mkdir(join(file, 'inside'), { recursive: true });
    });
    const notice = page.getByRole('region', { name: 'Kept aside' });
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.count()).toBe(1);
    expect(await notice.innerText()).toContain('Your history could not be read (a directory, not a file)');
    const kept = await notice.locator('code').innerText();
    expect(kept).toMatch(/history\.damaged-[\dT-]+Z\.json$/);
    expect((await lstat(kept)).isDirectory()).toBe(true);
    await page.getByRole('heading', { name: "Kate's prescriptions" }).waitFor();
    await app.shot('damaged-history-notice');
    await app.axe('damaged-history-notice');
    await notice.getByRole('button', { name: 'OK' }).click();
    await expect.poll(() => notice.count()).toBe(0);
    await app.restart();
    await page.getByRole('heading', { name: "Kate's prescriptions" }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('region', { name: 'Kept aside' }).count()).toBe(0);
  });
});
