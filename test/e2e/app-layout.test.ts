/**
 * Layout, end to end in browser mode (headless Chromium, the demo servers): at 1280×800 the header
 * keeps "Acting as" on the first row; at 800×600 no screen scrolls sideways; a skip link is the first
 * thing the keyboard reaches and moves focus to the screen; every screen is axe-clean in light and
 * dark. Screenshots of each screen at both sizes and in both themes in test-artifacts/app/.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInAs, startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';

let app: AppInBrowser;
let page: Page;
beforeAll(async () => {
  app = await startAppInBrowser({ name: 'layout', context: { viewport: { width: 1280, height: 800 } } });
  page = app.page;
});
afterAll(async () => { await app?.close(); });

const SCREENS = ['Resources', 'Flow', 'Presenter', 'Requests', 'Tokens', 'Connections', 'Export'] as const;
const sideways = () => page.evaluate(() => { const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement; return d.scrollWidth - d.clientWidth; });

describe('layout', () => {
  it('a skip link comes first and moves focus to the screen', async () => {
    await page.getByRole('heading', { name: 'Resources' }).waitFor();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to the screen' });
    expect(await skip.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect(await skip.isVisible()).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe('main');
  });

  it('at 1280×800 the header keeps "Acting as" on the first row, signed in too', async () => {
    app.playBrowser = signInAs('alice');
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    await page.getByRole('region', { name: /Sign in at Hospital ID/ }).waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByRole('button', { name: "Open Kate's prescriptions" }).click();
    await app.card("Kate's prescriptions").getByText('Granted').waitFor({ timeout: 30_000 });
    const title = await page.getByRole('heading', { name: 'Tessera', level: 1 }).boundingBox();
    const acting = await page.getByLabel('Acting as').boundingBox();
    expect(title && acting && Math.abs((acting.y + acting.height / 2) - (title.y + title.height / 2)) < 20, JSON.stringify({ title, acting })).toBe(true);
    expect(await sideways()).toBe(0);
  });

  for (const [width, height] of [[1280, 800], [800, 600]] as const) {
    for (const theme of ['light', 'dark'] as const) {
      it(`at ${width}×${height}, ${theme}: every screen without sideways scroll, axe-clean`, async () => {
        await page.setViewportSize({ width, height });
        await page.getByLabel('Theme').selectOption(theme);
        for (const screen of SCREENS) {
          await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: screen }).click();
          await page.locator('main h2').first().waitFor();
          expect(await sideways(), `${screen} at ${width}×${height} ${theme}`).toBe(0);
          await app.axe(`${screen} ${width}x${height} ${theme}`);
          await page.screenshot({ path: `test-artifacts/app/layout-${width}x${height}-${theme}-${screen.toLowerCase()}.png` });
        }
      });
    }
  }
});
