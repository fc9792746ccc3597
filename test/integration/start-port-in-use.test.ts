/**
 * `npm start` in browser mode on a `--port` another program holds: one line that says which port
 * and what to do, exit code 1, no stack trace (the core it had started is closed first).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('npm start on a port in use', () => {
  let blocker: Server;
  let port: number;
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'tessera-start-port-'));
    blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((done) => blocker.close(done));
    await rm(home, { recursive: true, force: true });
  });

  it('says which port is taken and what to do, in one line, and exits 1', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts', '--no-demo', '--browser', '--no-open', '--port', String(port)], {
      env: { ...process.env, TESSERA_HOME: home, TESSERA_PASSPHRASE: 'start-port-test', TESSERA_NO_ELECTRON: '1', BROWSER: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code, stderr).toBe(1);
    const failure = stderr.split('\n').filter((l) => l.startsWith('Tessera could not start'));
    expect(failure).toEqual([`Tessera could not start: Port ${port} is in use by another program. Choose another with --port, or leave --port out to use any free port.`]);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).not.toContain('Tessera is running');
  }, 180_000);
});
