/**
 * Binary-safe resources: Kate's discharge letter is a PDF served by the demo RS behind UMA. The
 * engine keeps its bytes and content type; `tessera fetch --output` writes them byte-exact; `--json`
 * carries `bodyBase64` instead of a mangled `body`; without `--output` nothing binary is printed.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../fixtures/cli-run';
import { startDemo, type DemoHandle } from '../../src/demo';
import { dischargeLetterPdf } from '../../src/demo/rs/documents';
import { signIn } from '../fixtures/demo-people';

let demo: DemoHandle;
let home: string;
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, introspectionCacheMs: 0 });
  home = await mkdtemp(join(tmpdir(), 'tessera-binary-'));
  await writeFile(join(home, 'alice.jwt'), String((await signIn(demo.config, 'alice')).id_token));
});
afterAll(async () => {
  await demo.close();
  await rm(home, { recursive: true, force: true });
});

const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));

describe('a PDF record through the CLI', () => {
  const url = () => demo.config.rs.resources.find((r) => r.name === 'discharge-letter')?.url ?? '';
  const args = () => ['fetch', url(), '--claim-token', join(home, 'alice.jwt'), '--trust', demo.config.as.issuer, '--client-id', demo.config.as.tesseraClient.client_id, '--client-secret', demo.config.as.tesseraClient.client_secret, '--no-interaction'];

  it('--output writes the bytes exactly as the RS sent them', async () => {
    const file = join(home, 'letter.pdf');
    const r = await run([...args(), '--output', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/saved \d+ bytes of application\/pdf/);
    const written = new Uint8Array(await readFile(file));
    expect(Buffer.compare(written, dischargeLetterPdf())).toBe(0);
    expect(Buffer.from(written.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
  });

  it('--json carries bodyBase64 (byte-exact) and no text body; plain output refuses to print binary', async () => {
    const r = await run([...args(), '--json']);
    const json = JSON.parse(r.stdout) as { outcome: string; body: string | null; bodyBase64?: string; contentType?: string };
    expect(json.outcome).toBe('granted');
    expect(json.body).toBeNull();
    expect(json.contentType).toBe('application/pdf');
    expect(Buffer.compare(Buffer.from(json.bodyBase64 ?? '', 'base64'), dischargeLetterPdf())).toBe(0);
    const plain = await run(args());
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toContain('save it with --output FILE');
  });

  it('--json adds parsed json for a JSON record', async () => {
    const rx = demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    const r = await run([...args().slice(0, 1), rx, ...args().slice(2), '--json']);
    const json = JSON.parse(r.stdout) as { json?: { kind?: string } };
    expect(json.json?.kind).toBe('prescriptions');
  });
});
