/**
 * vitest globalSetup of the `keycloak` project: starts ONE real Keycloak for the whole run and
 * provides its URL to the test files (`inject('keycloak')`). Without a JDK or Maven (or the dist)
 * it prints one "skipped:" line and the tests skip — unless TESSERA_REQUIRE_KEYCLOAK=1 (CI), where
 * that is a failure. TESSERA_KEYCLOAK_URL uses a Keycloak that is already running (realm imported).
 */
import type { TestProject } from 'vitest/node';
import { ensureKeycloak, KeycloakUnavailable } from '../../src/demo/keycloak/dist';
import { REALM, startKeycloak, type KeycloakHandle } from '../../src/demo/keycloak/server';

export interface KeycloakInfo {
  url: string;
  issuer: string;
  version: string;
  jdk?: number;
  startupMs?: number;
  rssKb?: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    keycloak: KeycloakInfo | null;
  }
}

let handle: KeycloakHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  const required = process.env.TESSERA_REQUIRE_KEYCLOAK === '1';
  const external = process.env.TESSERA_KEYCLOAK_URL?.replace(/\/+$/, '') || undefined;
  if (external) {
    project.provide('keycloak', { url: external, issuer: `${external}/realms/${REALM}`, version: 'external' });
    return;
  }
  try {
    await ensureKeycloak({ log: (line) => process.stderr.write(`${line}\n`) });
  } catch (error) {
    if (!(error instanceof KeycloakUnavailable) || required) throw error;
    process.stdout.write(`skipped: Keycloak tests need a JDK and Maven (${error.message})\n`);
    project.provide('keycloak', null);
    return;
  }
  handle = await startKeycloak({ log: (line) => process.stderr.write(`${line}\n`) });
  const rssKb = handle.rssKb();
  process.stderr.write(`keycloak: ${handle.dist.version} on JDK ${handle.dist.jdk.major}, ready in ${handle.startupMs} ms, RSS ${rssKb ? Math.round(rssKb / 1024) : '?'} MB\n`);
  project.provide('keycloak', { url: handle.url, issuer: handle.issuer, version: handle.dist.version, jdk: handle.dist.jdk.major, startupMs: handle.startupMs, ...(rssKb ? { rssKb } : {}) });
}

export async function teardown(): Promise<void> {
  await handle?.close();
}
