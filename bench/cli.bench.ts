/**
 * CLI start-up benchmark (issue 21): the built `tessera` command (bin/tessera.js → dist/cli) against
 * a bare Node start, in one run on the same machine:
 * (a) `tessera --help` ≤ 2× `node -e 0`;
 * (b) `tessera fetch` of a resource whose RPT is already held (one exchange with the RS, the vault
 *     opened from disk) ≤ 3× `node -e 0` plus the server time (a plain fetch of the same resource
 *     with the same RPT, in-process).
 * hyperfine (Debian package) when installed, otherwise interleaved rounds timed here; medians.
 * The vault uses the OS keyring when one answers (as on a desktop), else the passphrase backend,
 * whose scrypt key derivation is deliberately slow (src/vault/crypto.ts) and is reported apart.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureCliBundle, ROOT } from '../bin/cli-bundle.js';
import { startFixture } from '../test/fixtures/uma-fixture';
import type { BenchReport } from './run';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'tessera.js');
const RUNS = 30;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function hasHyperfine(): Promise<boolean> {
  try {
    await run('hyperfine', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** Median wall time (ms) of each command, measured by hyperfine. */
async function withHyperfine(commands: string[][], env: NodeJS.ProcessEnv, dir: string): Promise<number[]> {
  const out = join(dir, 'hyperfine.json');
  const quoted = commands.map((c) => c.join(' '));
  await run('hyperfine', ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', out, ...quoted], { env, maxBuffer: 1 << 24 });
  const { results } = JSON.parse(await readFile(out, 'utf8')) as { results: { median: number }[] };
  return results.map((r) => r.median * 1000);
}

/** The same without hyperfine: interleaved rounds (so drift hits every command alike), medians. */
async function withOwnTimer(commands: string[][], env: NodeJS.ProcessEnv): Promise<number[]> {
  const times: number[][] = commands.map(() => []);
  const once = (cmd: string[]) =>
    new Promise<number>((resolve, reject) => {
      const start = process.hrtime.bigint();
      const child = spawn(cmd[0]!, cmd.slice(1), { env, stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error(`${cmd.join(' ')} exited ${code}`))));
    });
  for (let round = -3; round < RUNS; round++) {
    for (const [i, cmd] of commands.entries()) {
      const ms = await once(cmd);
      if (round >= 0) times[i]!.push(ms);
    }
  }
  return times.map(median);
}

export default async function cliBench(): Promise<BenchReport> {
  await ensureCliBundle();
  const fx = await startFixture();
  const home = await mkdtemp(join(tmpdir(), 'tessera-cli-bench-'));
  try {
    const url = fx.rs('/r/bench');
    const base = { ...process.env, TESSERA_HOME: home, TESSERA_PASSPHRASE: 'cli-bench-passphrase' };
    // The OS keyring when it answers here, else the passphrase backend.
    let backend = 'keyring';
    let env: NodeJS.ProcessEnv = { ...base, TESSERA_VAULT_BACKENDS: backend };
    const first = ['fetch', url, '--trust', fx.asUri, '--client-id', 'tessera', '--client-secret', 'fixture-secret-123'];
    try {
      await run(process.execPath, [BIN, ...first], { env });
    } catch {
      backend = 'passphrase';
      env = { ...base, TESSERA_VAULT_BACKENDS: backend };
      await run(process.execPath, [BIN, ...first], { env });
    }
    const held = ['fetch', url, '--trust', fx.asUri, '--json'];
    const check = JSON.parse((await run(process.execPath, [BIN, ...held], { env })).stdout) as { outcome: string; steps: unknown[] };
    if (check.outcome !== 'granted' || check.steps.length !== 1) throw new Error(`the held-RPT fetch took ${check.steps.length} steps (${check.outcome})`);
    const tokenRequests = fx.stats.token;

    // Server time: the same request with the same RPT from a warm process.
    const rpt = [...fx.state.rpts.keys()].at(-1) as string;
    const plain = async () => {
      const start = process.hrtime.bigint();
      await (await fetch(url, { headers: { authorization: `Bearer ${rpt}` } })).text();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    for (let i = 0; i < 20; i++) await plain();
    const serverTimes: number[] = [];
    for (let i = 0; i < 100; i++) serverTimes.push(await plain());
    const server = median(serverTimes);

    const commands = [[process.execPath, '-e', '0'], [process.execPath, BIN, '--help'], [process.execPath, BIN, ...held]];
    const tool = (await hasHyperfine()) ? 'hyperfine' : 'own timer';
    const [node, help, fetchMs] = tool === 'hyperfine' ? await withHyperfine(commands, env, home) : await withOwnTimer(commands, env);
    if (fx.stats.token !== tokenRequests) throw new Error('a timed fetch asked the AS for a token: the RPT was not held');

    const helpRatio = help! / node!;
    const fetchBudget = 3 * node! + server;
    const fetchRatio = (fetchMs! - server) / node!;
    return {
      name: 'cli',
      rows: [
        { case: 'node -e 0', median_ms: +node!.toFixed(1), ratio: 1, note: tool },
        { case: 'tessera --help', median_ms: +help!.toFixed(1), ratio: +helpRatio.toFixed(2), note: '' },
        { case: `tessera fetch, RPT held (vault: ${backend})`, median_ms: +fetchMs!.toFixed(1), ratio: +fetchRatio.toFixed(2), note: `(fetch − server ${server.toFixed(2)} ms) / node` },
      ],
      targets: [
        { name: 'tessera --help ≤ 2× node -e 0', ok: helpRatio <= 2, detail: `${helpRatio.toFixed(2)}× (${help!.toFixed(1)} ms vs ${node!.toFixed(1)} ms, ${tool})` },
        { name: 'tessera fetch with a held RPT ≤ 3× node -e 0 + server time', ok: fetchMs! <= fetchBudget, detail: `${fetchRatio.toFixed(2)}× node -e 0 + server (${fetchMs!.toFixed(1)} ms vs budget ${fetchBudget.toFixed(1)} ms; vault: ${backend}, ${tool})` },
      ],
    };
  } finally {
    await fx.close();
    await rm(home, { recursive: true, force: true });
  }
}
