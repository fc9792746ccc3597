import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';

let fx: Fixture;
let home: string;
beforeAll(async () => {
  fx = await startFixture({ flavor: 'keycloak', policies: { bills: 'allow', labs: 'allow' } });
  home = await mkdtemp(join(tmpdir(), 'tessera-vault-loop-'));
});
afterAll(async () => {
  await fx.close();
  await rm(home, { recursive: true, force: true });
});

const SECRET = 'fixture-secret-123';
async function run(args: string[]) {
  let out = '';
  let err = '';
  const env = { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'loop-passphrase', TESSERA_VAULT_BACKENDS: 'passphrase' };
  const code = await main(args, { env, stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('vault after a real UMA loop through the CLI', () => {
  it('persists the RPT across runs and leaves no token, ticket or secret on disk or in the output', async () => {
    const creds = ['--client-id', 'tessera', '--client-secret', SECRET, '--trust', fx.asUri];
    const first = await run(['fetch', fx.rs('/r/bills'), ...creds]);
    expect(first.code, first.err).toBe(0);
    const tokenCalls = fx.stats.token;
    const second = await run(['fetch', fx.rs('/r/bills'), ...creds]);
    expect(second.code, second.err).toBe(0);
    expect(fx.stats.token).toBe(tokenCalls); // the RPT came from the encrypted vault
    await run(['fetch', fx.rs('/r/labs'), ...creds]);
    const listed = await run(['vault', 'list', '--json']);
    expect(JSON.parse(listed.out).length).toBeGreaterThan(0);

    const secrets = [SECRET, ...fx.state.rpts.keys(), ...fx.state.tickets.keys(), ...fx.state.pcts, ...[...fx.state.rpts.values()].map((r) => r.refresh).filter((r): r is string => !!r)];
    expect(fx.state.rpts.size + fx.state.tickets.size).toBeGreaterThan(0);
    const files = (await readdir(home, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThan(0);
    const everything = [...(await Promise.all(files.map((f) => readFile(f, 'latin1')))), first.out, first.err, second.err, listed.out, listed.err].join('\n');
    for (const s of secrets) expect(everything.includes(s), `secret ${s.slice(0, 4)}… found`).toBe(false);

    // forget revokes at the (trusted) AS, then removes locally.
    const revocations = fx.stats.revocation;
    const forget = await run(['vault', 'forget', 'rpt', '--all', '--json', ...creds]);
    expect(forget.code, forget.err).toBe(0);
    expect(JSON.parse(forget.out).forgotten.every((f: { revocation: string }) => f.revocation === 'attempted')).toBe(true);
    expect(fx.stats.revocation).toBeGreaterThan(revocations);
    expect(JSON.parse((await run(['vault', 'list', '--json', '--kind', 'rpt'])).out)).toEqual([]);
  }, 60_000);
});
