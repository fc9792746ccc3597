import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { main } from '../../src/cli/main';
import { cliRunner, spawnCli } from '../fixtures/cli-run';
import { fingerprint, setFingerprintKey } from '../../packages/uma/src/kernel/redact';
import { fakeIdToken, startFixture, type Fixture } from '../fixtures/uma-fixture';

let fx: Fixture;
let home: string;
beforeAll(async () => {
  fx = await startFixture({ policies: { bills: 'allow', denied: 'deny', claims: 'claims', approval: 'approval' } });
  home = await mkdtemp(join(tmpdir(), 'tessera-cli-'));
});
afterAll(async () => {
  await fx.close();
  await rm(home, { recursive: true, force: true });
});

const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));

const creds = ['--client-id', 'tessera', '--client-secret', 'fixture-secret-123'];

describe('tessera fetch', () => {
  it('granted → exit 0, body on stdout', async () => {
    const r = await run(['fetch', fx.rs('/r/bills'), '--trust', fx.asUri, ...creds]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).resource).toBe('bills');
    expect(r.stderr).toContain('tokens kept in memory');
  });

  it('--json prints one object with outcome, status, body, redacted steps', async () => {
    const r = await run(['fetch', fx.rs('/r/bills'), '--trust', fx.asUri, ...creds, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.outcome).toBe('granted');
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body).resource).toBe('bills');
    expect(out.steps.length).toBe(5); // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything
    expect(r.stdout).not.toContain('fixture-secret-123');
    for (const rpt of fx.state.rpts.keys()) expect(r.stdout).not.toContain(rpt);
  });

  it('untrusted AS → exit 5 and nothing sent to the AS', async () => {
    const before = fx.stats.token + fx.stats.discovery;
    const r = await run(['fetch', fx.rs('/r/bills'), ...creds, '--json']);
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout).outcome).toBe('untrusted_as');
    expect(fx.stats.token + fx.stats.discovery).toBe(before);
  });

  it('denied → exit 2 with one clear line', async () => {
    const r = await run(['fetch', fx.rs('/r/denied'), '--trust', fx.asUri, ...creds]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^tessera: denied: .*Ask the resource owner/);
  });

  it('need_info → exit 3; with --claim-token FILE → exit 0', async () => {
    const r = await run(['fetch', fx.rs('/r/claims'), '--trust', fx.asUri, ...creds, '--no-interaction']);
    expect(r.code).toBe(3);
    const file = join(home, 'id_token.jwt');
    await writeFile(file, fakeIdToken({ email: 'alice@example.com' }));
    const ok = await run(['fetch', fx.rs('/r/claims'), '--trust', fx.asUri, ...creds, '--claim-token', file, '--json']);
    expect(ok.code).toBe(0);
    const pushed = fx.stats.tokenBodies.at(-1);
    expect(pushed?.get('claim_token_format')).toBe('http://openid.net/specs/openid-connect-core-1_0.html#IDToken');
  });

  it('pending → exit 4', async () => {
    const r = await run(['fetch', fx.rs('/r/approval'), '--trust', fx.asUri, ...creds]);
    expect(r.code).toBe(4);
  });

  it('--token-auth post sends the secret in the body', async () => {
    const r = await run(['fetch', fx.rs('/r/post'), '--trust', fx.asUri, ...creds, '--token-auth', 'post']);
    expect(r.code).toBe(0);
    expect(fx.stats.tokenBodies.at(-1)?.get('client_secret')).toBe('fixture-secret-123');
  });

  it('--private-key JWK_FILE authenticates with private_key_jwt', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const file = join(home, 'key.jwk');
    await writeFile(file, JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES256' }));
    const r = await run(['fetch', fx.rs('/r/pkjwt'), '--trust', fx.asUri, '--client-id', 'tessera', '--private-key', file, '--token-auth', 'private_key_jwt']);
    expect(r.code).toBe(0);
    expect(fx.stats.tokenBodies.at(-1)?.get('client_assertion')).toBeTruthy();
    const pub = join(home, 'pub.jwk');
    await writeFile(pub, JSON.stringify(await exportJWK(publicKey)));
    const bad = await run(['fetch', fx.rs('/r/pkjwt'), '--trust', fx.asUri, '--client-id', 'tessera', '--private-key', pub]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('holds no private key');
  });

  it('usage errors → exit 1, one line, no stack trace', async () => {
    const r = await run(['fetch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tessera: Missing <url>\. Run tessera fetch --help\.\n$/);
    const bad = await run(['fetch', fx.rs('/r/x'), '--wait', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toContain('    at ');
  });

  it('--json still prints one object when the command cannot start', async () => {
    const r = await run(['fetch', '--json', fx.rs('/r/x'), '--wait', 'soon']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'error', status: null, steps: [], error: { code: 'usage' } });
  });

  it('network failure → exit 1 with a clear line', async () => {
    const r = await run(['fetch', 'http://127.0.0.1:1/nothing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Could not reach http:\/\/127\.0\.0\.1:1/);
  });

  it('invalid config.json → exit 1 naming the file', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'tessera-bad-'));
    await writeFile(join(bad, 'config.json'), '{"trust": {"authorizationServers": [{"issuer": 3}]}}');
    let stderr = '';
    const code = await main(['fetch', fx.rs('/r/bills')], { env: { TESSERA_HOME: bad, TESSERA_VAULT_BACKENDS: 'memory' }, stdout: () => undefined, stderr: (t) => void (stderr += t) });
    expect(code).toBe(1);
    expect(stderr).toContain('config.json is invalid');
    await rm(bad, { recursive: true, force: true });
  });

  it('trusted ASes and manual endpoints come from $TESSERA_HOME/config.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-cfg-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ trust: { authorizationServers: [{ issuer: fx.asUri, metadata: { token_endpoint: fx.tokenEndpoint } }] } }));
    let stdout = '';
    const code = await main(['fetch', fx.rs('/r/cfg'), ...creds, '--json'], { env: { TESSERA_HOME: dir, TESSERA_VAULT_BACKENDS: 'memory' }, stdout: (t) => void (stdout += t), stderr: () => undefined });
    expect(code).toBe(0);
    // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything
    expect(JSON.parse(stdout).steps.map((s: { kind: string }) => s.kind)).toEqual(['resource', 'discovery', 'token', 'resource']);
    await rm(dir, { recursive: true, force: true });
  });

  it('--no-resource-metadata, or config.json settings.resourceMetadata: false, skips the RS\'s well-known metadata lookup (RFC 9728 §3)', async () => {
    const kinds = (stdout: string) => JSON.parse(stdout).steps.map((s: { lane: string; kind: string }) => `${s.lane}:${s.kind}`);
    const flagged = await run(['fetch', fx.rs('/r/bills'), '--trust', fx.asUri, ...creds, '--json', '--no-resource-metadata']);
    expect(flagged.code).toBe(0);
    expect(kinds(flagged.stdout)).not.toContain('rs:discovery');
    const dir = await mkdtemp(join(tmpdir(), 'tessera-cfg-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ trust: { authorizationServers: [{ issuer: fx.asUri }] }, settings: { resourceMetadata: false } }));
    let stdout = '';
    const code = await main(['fetch', fx.rs('/r/cfg'), ...creds, '--json'], { env: { TESSERA_HOME: dir, TESSERA_VAULT_BACKENDS: 'memory' }, stdout: (t) => void (stdout += t), stderr: () => undefined });
    expect(code).toBe(0);
    expect(kinds(stdout)).toEqual(['rs:resource', 'as:discovery', 'as:token', 'rs:resource']);
    await rm(dir, { recursive: true, force: true });
  });

  it('tessera --help works through the bin entry (the built CLI)', async () => {
    const { code, stdout } = await spawnCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('fetch');
    expect(stdout).toContain('exit: 0 granted');
  });

  it('the built CLI runs a whole fetch as a separate process: granted on the first run, the held RPT on the second', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-cli-bin-'));
    try {
      const env = { ...process.env, TESSERA_HOME: dir, TESSERA_VAULT_BACKENDS: 'passphrase', TESSERA_PASSPHRASE: 'spawned-cli-passphrase' };
      const first = await spawnCli(['fetch', fx.rs('/r/bills'), '--trust', fx.asUri, ...creds, '--json'], { env });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything
      expect(JSON.parse(first.stdout).steps.map((s: { kind: string }) => s.kind)).toEqual(['resource', 'discovery', 'discovery', 'token', 'resource']);
      const again = await spawnCli(['fetch', fx.rs('/r/bills'), '--trust', fx.asUri, '--json'], { env });
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).steps.map((s: { kind: string }) => s.kind)).toEqual(['resource']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('tessera fetch on a fresh home', () => {
  it('salts fingerprints from the first run: it makes the install fingerprint key in the vault', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'tessera-cli-fresh-'));
    try {
      const env = { TESSERA_HOME: fresh, TESSERA_VAULT_BACKENDS: 'passphrase', TESSERA_PASSPHRASE: 'fresh-home-passphrase' };
      const r = await cliRunner(() => env)(['fetch', fx.rs('/r/bills'), '--trust', fx.asUri, ...creds, '--json']);
      expect(r.code).toBe(0);
      const shown = (JSON.parse(r.stdout) as { steps: { tokens?: { fingerprint: string }[] }[] }).steps.flatMap((s) => s.tokens ?? []).map((t) => t.fingerprint);
      expect(shown.length).toBeGreaterThan(0);
      // Unsalted, a fingerprint is a bare SHA-256 prefix anyone can test guesses against offline.
      setFingerprintKey(undefined);
      const bare = [...fx.state.rpts.keys()].map((t) => fingerprint(t));
      for (const f of shown) expect(bare).not.toContain(f);
      const list = await cliRunner(() => env)(['vault', 'list', '--json']);
      expect(list.stdout).toContain('fingerprint-key');
    } finally {
      setFingerprintKey(undefined);
      await rm(fresh, { recursive: true, force: true });
    }
  });
});
