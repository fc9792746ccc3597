import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { storeKeys } from '../../packages/uma/src/kernel/store';
import { openVault } from '../../src/vault';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function run(argv: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const code = await main(argv, { env, stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('tessera vault', () => {
  it('lists metadata, exports redacted JSON and forgets records — never printing a secret', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-vault-cli-'));
    dirs.push(home);
    const env = { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'cli-pass', TESSERA_VAULT_BACKENDS: 'passphrase' };
    const v = await openVault({ home, passphrase: 'cli-pass', backends: ['passphrase'] });
    const rptKey = storeKeys.rpt('https://as.example', 'https://rs.example', 'nobody');
    await v.put('rpt', rptKey, { access_token: 'RPT-SECRET-abc' }, { issuer: 'https://as.example', rsOrigin: 'https://rs.example', fingerprint: 'fp-rpt', expiresAt: Date.now() + 60_000, permissions: [{ resource_id: 'labs', resource_scopes: ['view'] }] });
    await v.put('client', 'https://as.example', { client_secret: 'CLIENT-SECRET-xyz' }, { clientId: 'tessera' });
    await v.close();

    const list = await run(['vault', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.out).toContain('https://rs.example');
    expect(list.out).toContain('labs[view]');
    const json = await run(['vault', 'list', '--json', '--kind', 'rpt'], env);
    expect(JSON.parse(json.out)).toMatchObject([{ kind: 'rpt', key: rptKey, fingerprint: 'fp-rpt' }]);
    const exported = await run(['vault', 'export', '--redacted'], env);
    expect(JSON.parse(exported.out).records).toHaveLength(2);
    expect((await run(['vault', 'export'], env)).code).not.toBe(0);
    for (const r of [list, json, exported]) expect(r.out + r.err).not.toMatch(/SECRET/);

    const forget = await run(['vault', 'forget', 'rpt', rptKey, '--json'], env);
    expect(forget.code).toBe(0);
    expect(JSON.parse(forget.out).forgotten).toEqual([expect.objectContaining({ kind: 'rpt', key: rptKey, revocation: 'not_attempted' })]);
    expect((await run(['vault', 'forget', 'all', '--all'], env)).code).toBe(0);
    expect(JSON.parse((await run(['vault', 'list', '--json'], env)).out)).toEqual([]);
    expect(await readFile(join(home, 'vault.json'), 'latin1')).not.toMatch(/SECRET/);
  });

  it('a wrong passphrase fails with the vault error and names the file', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-vault-cli-'));
    dirs.push(home);
    const v = await openVault({ home, passphrase: 'right', backends: ['passphrase'], scryptCost: { N: 1024, r: 8, p: 1 } });
    await v.close();
    const r = await run(['vault', 'list'], { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'wrong', TESSERA_VAULT_BACKENDS: 'passphrase' });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('vault.json');
  });
});
