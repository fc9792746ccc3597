/**
 * Keycloak runs in its own process group (so close() can signal kc.sh and its JVM together), which
 * also means a Ctrl-C in the terminal never reaches it. When the process that started it exits
 * without close() — `npm start` exiting after an error, or on Ctrl-C during the minute Keycloak
 * takes to start — nothing of that group may stay behind. A stand-in distribution (a kc.sh that
 * starts a long-lived "JVM" and never becomes ready) and a stand-in JDK keep this test free of Java.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('a Keycloak started by Tessera', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-kc-guard-'));
    const kc = join(dir, 'keycloak');
    mkdirSync(join(kc, 'bin'), { recursive: true });
    mkdirSync(join(kc, 'lib'));
    writeFileSync(join(kc, 'version.txt'), 'Keycloak - Version 26.7.3\n');
    // kc.sh starts its "JVM" in the background and waits, as a shell wrapper would.
    writeFileSync(join(kc, 'bin', 'kc.sh'), `#!/bin/sh\nsleep 300 &\necho $! > "${dir}/jvm.pid"\necho $$ > "${dir}/kc.pid"\nwait\n`);
    chmodSync(join(kc, 'bin', 'kc.sh'), 0o755);
    const jdk = join(dir, 'jdk');
    mkdirSync(join(jdk, 'bin'), { recursive: true });
    writeFileSync(join(jdk, 'bin', 'java'), '#!/bin/sh\necho "    java.specification.version = 21" >&2\n');
    chmodSync(join(jdk, 'bin', 'java'), 0o755);
  });
  afterAll(async () => {
    for (const f of ['jvm.pid', 'kc.pid']) {
      const p = join(dir, f);
      if (existsSync(p)) try { process.kill(Number(readFileSync(p, 'utf8'))); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('is stopped, JVM and all, when the starting process exits without closing it', async () => {
    const server = resolve('src/demo/keycloak/server.ts');
    const driver = `
      import { existsSync } from 'node:fs';
      const { startKeycloak } = await import(${JSON.stringify(server)});
      void startKeycloak({ timeoutMs: 60_000 }).catch(() => {});
      while (!existsSync(${JSON.stringify(join(dir, 'kc.pid'))})) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200));
      process.exit(1);
    `;
    writeFileSync(join(dir, 'driver.mts'), driver);
    const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'driver.mts')], {
      env: { ...process.env, KEYCLOAK_HOME: join(dir, 'keycloak'), KEYCLOAK_JAVA_HOME: join(dir, 'jdk') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code, stderr).toBe(1);
    const kcPid = Number(readFileSync(join(dir, 'kc.pid'), 'utf8'));
    const jvmPid = Number(readFileSync(join(dir, 'jvm.pid'), 'utf8'));
    for (let i = 0; i < 40 && (alive(kcPid) || alive(jvmPid)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(kcPid), 'kc.sh').toBe(false);
    expect(alive(jvmPid), 'its JVM').toBe(false);
  });
});
