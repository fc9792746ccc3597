/**
 * "Adding an authorization server checks it", end to end in browser mode (headless Chromium, the demo
 * servers): the Connections form refuses four bad servers — nothing listening, Hospital ID (an OpenID
 * provider, not a UMA AS), an issuer with `user:password@`, and a "private key" that is not a key —
 * each with its message at the field it is about (the field's description, in view), and config.json
 * keeps none of them. Kate's AS then passes the check and the form says what was checked. Stop
 * trusting asks first. axe on the refused form; screenshots in test-artifacts/app/.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';

let app: AppInBrowser;
beforeAll(async () => {
  app = await startAppInBrowser({ name: 'add-as', context: { viewport: { width: 1280, height: 800 } } });
});
afterAll(async () => { await app?.close(); });

const closedPort = () => new Promise<number>((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => resolve(port)); }); });

/** The text of what describes `field` (aria-describedby), as a screen reader reads it. */
async function description(field: Locator): Promise<string> {
  return field.evaluate((el) => (el.getAttribute('aria-describedby') ?? '').split(' ').map((id: string) => el.ownerDocument.getElementById(id)?.textContent ?? '').join(' '));
}
/** The field's own message is on screen (not below the form, off screen). */
async function messageInView(field: Locator): Promise<void> {
  const id = await field.evaluate((el) => (el.getAttribute('aria-describedby') ?? '').split(' ').find((x: string) => x.endsWith('-error')) ?? '');
  expect(id).not.toBe('');
  const box = await app.page.locator(`[id="${id}"]`).boundingBox();
  const viewport = app.page.viewportSize();
  expect(box && viewport && box.y >= 0 && box.y + box.height <= viewport.height, JSON.stringify({ box, viewport })).toBe(true);
}

describe('the add-AS form checks the server', () => {
  it('refuses the four bad servers with messages next to the fields, then trusts a real UMA AS and says what it checked', async () => {
    const { page } = app;
    const demo = app.core.demo;
    if (!demo) throw new Error('no demo');
    await page.getByRole('button', { name: 'Connections' }).click();
    const form = page.getByRole('form', { name: 'Add an authorization server' });
    const issuer = form.getByLabel('Issuer', { exact: true });
    const trust = form.getByRole('button', { name: 'Trust this authorization server' });
    const method = form.getByLabel('How Tessera proves who it is');
    await method.selectOption('none');
    await form.getByLabel('Client id').fill('tessera');

    // 1. Nothing listening.
    await issuer.fill(`http://127.0.0.1:${await closedPort()}`);
    await trust.click();
    await expect.poll(() => description(issuer)).toMatch(/Nothing answers there/);
    expect(await issuer.getAttribute('aria-invalid')).toBe('true');
    await messageInView(issuer);
    await app.shot('add-as-01-nothing-listening');

    // 2. An identity provider that is not a UMA authorization server.
    await issuer.fill(demo.idp.issuer);
    await trust.click();
    await expect.poll(() => description(issuer)).toMatch(/does not offer the UMA grant/);
    await messageInView(issuer);
    await app.axe('add-as refused');

    // 3. userinfo in the issuer: refused before anything is sent.
    const asUrl = new URL(demo.as.issuer);
    await issuer.fill(`http://kate:secret@${asUrl.host}${asUrl.pathname.replace(/\/$/, '')}`);
    await trust.click();
    await expect.poll(() => description(issuer)).toMatch(/No user name or password in the address/);
    await messageInView(issuer);

    // 4. A private key that is not a key.
    await issuer.fill(demo.as.issuer);
    await method.selectOption('private_key_jwt');
    const key = form.getByLabel('Private key (JWK or PEM)');
    await key.fill('{"kty":"RSA","d":"AQAB"}');
    await trust.click();
    await expect.poll(() => description(key)).toMatch(/not a usable RSA private key/);
    expect(await key.getAttribute('aria-invalid')).toBe('true');
    await messageInView(key);
    await app.shot('add-as-02-not-a-key');

    const config = await readFile(join(app.home, 'config.json'), 'utf8').catch(() => '{}');
    expect(config).not.toContain(demo.idp.issuer);
    expect(config).not.toContain('secret@');
    expect(config).not.toContain('AQAB');

    // Kate's AS, a public client of it: the check passes and says what it read.
    await method.selectOption('none');
    await form.getByLabel('Name (optional)').fill('Kate AS by hand');
    await trust.click();
    await form.getByRole('status').filter({ hasText: 'the issuer matches' }).waitFor();
    expect(await form.getByRole('status').innerText()).toMatch(/it offers the UMA grant/);
    await app.shot('add-as-03-checked');

    // Stop trusting asks first.
    const card = page.locator('li.card', { hasText: 'Kate AS by hand' });
    await card.getByRole('button', { name: 'Stop trusting…' }).click();
    const confirm = card.getByRole('alertdialog');
    await confirm.getByText('Stop trusting Kate AS by hand?').waitFor();
    await confirm.getByRole('button', { name: 'Keep trusting it' }).click();
    expect(await card.count()).toBe(1);
  });
});
