/**
 * Kate approves Dr. Alice's request in Keycloak's own Account console, in a real browser (Debian
 * Chromium): Tessera's fetch of the care notes is pending, Kate signs in, opens Resources, accepts the
 * request on the care notes; Tessera's next fetch gets them. Screenshots go to test-artifacts/keycloak.
 */
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { launchChromium } from '../fixtures/chromium';
import { keycloakDemoForFile } from '../fixtures/keycloak-demo';
import { keycloakSignIn, permissionTickets } from '../fixtures/keycloak-people';

const kc = inject('keycloak');
const ARTIFACTS = 'test-artifacts/keycloak';

describe.skipIf(!kc)("Keycloak's Account console (Chromium)", () => {
  const issuer = kc?.issuer ?? '';
  let browser: Browser;
  // Kate's acceptance is sharing at Keycloak: removed after the file too, for the next one.
  const kd = keycloakDemoForFile(kc);
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("Kate accepts Alice's request for the care notes in the console; Tessera then gets them", async () => {
    const alice = await keycloakSignIn(issuer, 'alice', 'tessera');
    const agent = createAgent({
      store: new MemoryStore(),
      trust: { authorizationServers: [{ issuer }] },
      defaultClient: { clientId: KEYCLOAK_CLIENTS.tessera.client_id, clientSecret: KEYCLOAK_CLIENTS.tessera.client_secret },
      party: 'alice',
      claims: { claimTokenFor: async () => ({ claim_token: alice.idToken, claim_token_format: ID_TOKEN_FORMAT, identity: 'alice' }) },
    });
    const url = kd.demo.config.rs.resources.find((r) => r.name === 'care-notes')?.url ?? '';
    expect((await agent.fetch(url)).outcome).toBe('pending');

    const page = await browser.newPage();
    try {
      await page.goto(`${issuer}/account/resources`);
      await page.fill('#username', 'kate');
      await page.fill('#password', 'kate-demo');
      await page.click('#kc-login');
      const row = page.locator('tr', { hasText: 'care-notes' });
      await row.waitFor({ timeout: 30_000 });
      await page.screenshot({ path: `${ARTIFACTS}/account-resources.png`, fullPage: true });
      // The "Permission requests" cell shows the number of pending requests as a button.
      await row.getByRole('button', { name: '1', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await expect.poll(async () => dialog.innerText()).toContain('alice@hospital.example');
      await page.screenshot({ path: `${ARTIFACTS}/account-permission-requests.png`, fullPage: true });
      await dialog.getByRole('button', { name: 'Accept' }).click();
      await expect.poll(async () => (await permissionTickets(issuer, { granted: 'true' })).map((t) => `${t.requesterName}:${t.resourceName as string}:${t.scopeName}`), { timeout: 15_000 }).toContain('alice:care-notes:read');
    } finally {
      await page.close();
    }

    const after = await agent.fetch(url);
    expect(after.error).toBeUndefined();
    expect(after.outcome).toBe('granted');
    expect(JSON.parse(after.body).kind).toBe('care-notes');
  });
});
