/**
 * Hostile depth: a resource whose JSON body is nested 20 000 or a million levels deep is granted and
 * printed (`tessera fetch --json` keeps `body`, leaves out the parsed `json`), and a token whose JWT
 * claims are that deep is still redacted and described by fingerprint. Before, the output and the
 * transcript walked such bodies recursively and the CLI printed "Maximum call stack size exceeded".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH, parseJsonBounded } from '../../packages/uma/src/kernel/json';
import { describeToken, Redactor } from '../../packages/uma/src/kernel/redact';
import { cliRunner } from '../fixtures/cli-run';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';

const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObject = (n: number, leaf = '"x"') => `${'{"a":'.repeat(n)}${leaf}${'}'.repeat(n)}`;

let fx: Fixture;
let rs: Server;
let rsOrigin: string;
let home: string;
beforeAll(async () => {
  fx = await startFixture();
  // An RS in front of the fixture's: the same UMA challenge and RPT check, then a deep JSON body.
  rs = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const upstream = await fetch(fx.rs('/r/bills'), { headers: req.headers.authorization ? { authorization: req.headers.authorization } : {} });
    await upstream.arrayBuffer();
    if (upstream.status !== 200) return void res.writeHead(upstream.status, { 'www-authenticate': upstream.headers.get('www-authenticate') ?? '' }).end();
    const n = Number(url.searchParams.get('depth'));
    res.writeHead(200, { 'content-type': 'application/json' }).end(url.pathname === '/object' ? deepObject(n) : deepArray(n));
  });
  await new Promise<void>((r) => rs.listen(0, '127.0.0.1', r));
  rsOrigin = `http://127.0.0.1:${(rs.address() as AddressInfo).port}`;
  home = await mkdtemp(join(tmpdir(), 'tessera-deep-'));
  // Room for a million levels (2 MB of brackets).
  await writeFile(join(home, 'config.json'), JSON.stringify({ settings: { maxBodyBytes: 8 * 1024 * 1024 } }));
});
afterAll(async () => {
  rs.closeAllConnections();
  await new Promise((r) => rs.close(r));
  await fx.close();
  await rm(home, { recursive: true, force: true });
});

const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
const creds = ['--client-id', 'tessera', '--client-secret', 'fixture-secret-123'];

describe('deep JSON bodies', () => {
  for (const [shape, depth] of [['array', 20_000], ['object', 20_000], ['array', 1_000_000]] as const) {
    it(`tessera fetch --json on a ${depth}-deep JSON ${shape}: granted, body printed, json left out`, async () => {
      const r = await run(['fetch', `${rsOrigin}/${shape}?depth=${depth}`, '--trust', fx.asUri, ...creds, '--json']);
      expect(r.stderr).not.toMatch(/call stack|bug/);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(out.outcome).toBe('granted');
      expect(out.body).toBe(shape === 'object' ? deepObject(depth) : deepArray(depth));
      expect(out.json).toBeUndefined();
      expect(out.jsonOmitted).toEqual({ reason: 'too_deep', depth, maxDepth: MAX_JSON_DEPTH });
    }, 60_000);
  }

  it('tessera fetch (no --json) prints the deep body as it came', async () => {
    const r = await run(['fetch', `${rsOrigin}/array?depth=20000`, '--trust', fx.asUri, ...creds]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${deepArray(20_000)}\n`);
  });

  it('JSON within the bound is still parsed', async () => {
    const r = await run(['fetch', `${rsOrigin}/object?depth=${MAX_JSON_DEPTH - 1}`, '--trust', fx.asUri, ...creds, '--json']);
    expect(JSON.stringify(JSON.parse(r.stdout).json)).toBe(deepObject(MAX_JSON_DEPTH - 1));
  });
});

describe('the kernel under deep input', () => {
  it('measures depth by scanning (strings skipped) and parses only within the bound', () => {
    expect(jsonDepth('{"a":"[[[{{{"}')).toBe(1);
    expect(jsonDepth('"\\\\"')).toBe(0);
    expect(jsonDepth(deepArray(1_000_000))).toBe(1_000_000);
    expect(parseJsonBounded(deepArray(1_000_000))).toEqual({ ok: false, reason: 'too_deep', depth: 1_000_000 });
    expect(parseJsonBounded('[[1]]')).toEqual({ ok: true, value: [[1]] });
    expect(parseJsonBounded('{')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('redaction finds a secret under a million levels, and next to them', () => {
    for (const depth of [20_000, 1_000_000]) {
      const redactor = new Redactor();
      const body = `{"access_token":"top-secret-token","junk":${deepArray(depth)},"deep":${deepObject(depth, '{"refresh_token":"deep-secret-token"}')}}`;
      const redacted = redactor.body(body, 'application/json');
      expect(redacted).not.toContain('top-secret-token');
      expect(redacted).not.toContain('deep-secret-token');
    }
  });

  it('a JWT with claims nested a million levels deep is described by fingerprint, its claims not decoded', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    for (const depth of [20_000, 1_000_000]) {
      const jwt = `${b64('{"alg":"none"}')}.${b64(`{"sub":"x","c":${deepArray(depth)}}`)}.`;
      const d = describeToken(jwt);
      expect(d.fingerprint).toMatch(/\S/);
      expect(d.jwt).toBeUndefined();
      expect(() => JSON.stringify(d)).not.toThrow();
    }
    expect(describeToken(`${b64('{"alg":"none"}')}.${b64('{"sub":"x"}')}.`).jwt?.claims.sub).toBe('x');
  });
});
