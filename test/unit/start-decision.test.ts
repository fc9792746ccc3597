/**
 * `npm start`'s choice between the Electron window and browser mode, with real child processes:
 * fake "electron" programs (small Node scripts) that print what the real package and binary print —
 * the downloading launch ("Downloading Electron binary...\n/path"), a crash on launch (the Linux
 * sandbox's complaint), silence, and main's ready line.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseLaunch, displayProblem, electronPathFromOutput, launchElectron, resolveElectron, type Launched, type Resolved } from '../../src/start';
import { READY_LINE } from '../../src/main/options';

const dir = mkdtempSync(join(tmpdir(), 'tessera-start-'));
/** An executable Node script (shebang to this Node). */
function program(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!${process.execPath}\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}
const fakeBinary = program('electron', 'process.exit(0)');
const display = { DISPLAY: ':0' };
const collect = () => { const s = new PassThrough(); let text = ''; s.on('data', (c: Buffer) => { text += c.toString(); }); return { s, text: () => text }; };

describe('resolving the Electron binary', () => {
  it('takes the last line on the downloading launch (the first line is the download notice)', async () => {
    expect(electronPathFromOutput(`Downloading Electron binary...\n${fakeBinary}`)).toBe(fakeBinary);
    const resolver = program('resolve-downloading.js', `console.log('Downloading Electron binary...'); console.log('[=====] 100%'); process.stdout.write(${JSON.stringify(fakeBinary)});`);
    const logs: string[] = [];
    expect(await resolveElectron({ cwd: dir, command: [resolver], log: (l) => logs.push(l) })).toEqual({ binary: fakeBinary });
    expect(logs.join('\n')).toMatch(/Downloading the Electron binary/);
  });

  it('resolves directly on later launches', async () => {
    const resolver = program('resolve-cached.js', `process.stdout.write(${JSON.stringify(fakeBinary)});`);
    expect(await resolveElectron({ cwd: dir, command: [resolver] })).toEqual({ binary: fakeBinary });
  });

  it('a failed download or a missing binary is a reason, naming Node ≥ 22.12 on an older Node', async () => {
    const failing = program('resolve-fail.js', "console.log('Downloading Electron binary...'); console.error('TypeError: fetch failed\\n    at x (y.js:1:1)\\nError: Electron failed to install correctly.\\n\\nNode.js v20.19.0'); process.exit(1);");
    const r = (await resolveElectron({ cwd: dir, command: [failing], nodeVersion: '20.19.0' })) as { reason: string };
    expect(r.reason).toMatch(/could not be fetched \(TypeError: fetch failed; Error: Electron failed to install correctly\.\)/);
    expect(r.reason).toMatch(/needs Node 22\.12\.0 or later; this is Node 20\.19\.0/);
    const missing = program('resolve-missing.js', "process.stdout.write('/nonexistent/electron');");
    const m = (await resolveElectron({ cwd: dir, command: [missing], nodeVersion: '24.1.0' })) as { reason: string };
    expect(m.reason).toBe('the Electron binary is missing at /nonexistent/electron.');
  });
});

describe('launching Electron', () => {
  it('a ready line from main → Electron; later output is passed through; the signal env is set', async () => {
    const bin = program('electron-ready.js', `console.log('GPU noise'); setTimeout(() => { console.log(process.env.TESSERA_READY_SIGNAL === '1' ? ${JSON.stringify(READY_LINE)} : 'no signal env'); console.log('after ' + process.argv.slice(2).join(' ')); setTimeout(() => process.exit(7), 100); }, 100);`);
    const out = collect();
    const r = await launchElectron({ binary: bin, args: ['main.cjs', '--no-demo'], env: process.env, out: out.s, timeoutMs: 10_000 });
    expect('child' in r).toBe(true);
    const code = await new Promise((done) => (r as { child: import('node:child_process').ChildProcess }).child.on('exit', done));
    expect(code).toBe(7);
    expect(out.text()).toContain('after main.cjs --no-demo');
    expect(out.text()).not.toContain('GPU noise');
  });

  it('a crash on launch → browser mode, with the sandbox explained', async () => {
    const bin = program('electron-crash.js', "console.error('[1:FATAL:setuid_sandbox_host.cc(163)] The SUID sandbox helper binary was found, but is not configured correctly.'); process.exit(133);");
    const r = (await launchElectron({ binary: bin, args: [], env: process.env, timeoutMs: 10_000 })) as { reason: string };
    expect(r.reason).toMatch(/exited before showing a window \(exit code 133\)/);
    expect(r.reason).toMatch(/Linux sandbox cannot start here/);
    expect(r.reason).toMatch(/SUID sandbox helper/);
  });

  it('no ready line before the timeout → killed, browser mode', async () => {
    const bin = program('electron-hang.js', 'setInterval(() => {}, 1000);');
    const r = (await launchElectron({ binary: bin, args: [], env: process.env, timeoutMs: 700 })) as { reason: string };
    expect(r.reason).toMatch(/no window within 1 s/);
  });

  it('a binary that cannot be executed → browser mode', async () => {
    const r = (await launchElectron({ binary: join(dir, 'nope'), args: [], env: process.env, timeoutMs: 5000 })) as { reason: string };
    expect(r.reason).toMatch(/cannot be executed \(spawn .*ENOENT\)/);
  });
});

describe('the choice', () => {
  const never = async (): Promise<never> => { throw new Error('must not be called'); };
  const base = { browser: false, env: display, platform: 'linux' as const, resolve: never as () => Promise<Resolved>, prepare: never as () => Promise<string>, launch: never as () => Promise<Launched> };

  it('no display on Linux → browser mode without trying', async () => {
    expect(displayProblem('linux', {})).toMatch(/no display/);
    expect(displayProblem('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toBeUndefined();
    expect(displayProblem('darwin', {})).toBeUndefined();
    expect(await chooseLaunch({ ...base, env: {} })).toEqual({ kind: 'browser', reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' });
  });

  it('--browser and TESSERA_NO_ELECTRON → browser mode', async () => {
    expect((await chooseLaunch({ ...base, browser: true })).kind).toBe('browser');
    expect(await chooseLaunch({ ...base, env: { ...display, TESSERA_NO_ELECTRON: '1' } })).toMatchObject({ reason: 'TESSERA_NO_ELECTRON is set' });
  });

  it('downloading launch → the parsed binary is the one launched; crash → browser mode; ready → Electron', async () => {
    const resolver = program('resolve-choice.js', `console.log('Downloading Electron binary...'); process.stdout.write(${JSON.stringify(fakeBinary)});`);
    const crash = program('electron-crash2.js', 'process.exit(1);');
    const ready = program('electron-ready2.js', `console.log(${JSON.stringify(READY_LINE)}); setTimeout(() => {}, 50);`);
    const launched: string[] = [];
    const resolve = () => resolveElectron({ cwd: dir, command: [resolver] });
    const crashed = await chooseLaunch({ ...base, resolve, prepare: async () => 'main.cjs', launch: (binary, main) => { launched.push(`${binary} ${main}`); return launchElectron({ binary: crash, args: [main], env: {}, timeoutMs: 5000 }); } });
    expect(launched).toEqual([`${fakeBinary} main.cjs`]);
    expect(crashed).toMatchObject({ kind: 'browser', reason: expect.stringMatching(/exited before showing a window \(exit code 1\)/) });
    const ok = await chooseLaunch({ ...base, resolve, prepare: async () => 'main.cjs', launch: (_b, main) => launchElectron({ binary: ready, args: [main], env: {}, timeoutMs: 5000 }) });
    expect(ok.kind).toBe('electron');
  });
});
