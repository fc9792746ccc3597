/**
 * The system-browser opener with hostile URLs, per platform. Each case runs the real opener (and the
 * real `open` package) in a child Node whose `process.platform` is set to the platform under test and
 * whose `child_process.spawn` records what would be spawned instead of spawning it (nothing runs).
 * This is the boundary the bug lived at: on Windows the old opener ran `cmd /c start "" URL`, so
 * `&` in a URL cut it short and ran the rest as a command.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { browserCommand, browserUrl } from '../../packages/uma/src/identity/opener';

const run = promisify(execFile);
const OPENER = pathToFileURL(fileURLToPath(new URL('../../packages/uma/src/identity/opener.ts', import.meta.url))).href;

interface Spawned { command: string; args: string[]; shell: unknown; windowsVerbatimArguments: unknown }

/** Runs systemOpener(url) as if on `platform`; returns every spawn it asked for, and what it threw. */
async function probe(platform: NodeJS.Platform, url: string, env: Record<string, string> = {}): Promise<{ spawned: Spawned[]; error?: string }> {
  const script = `
    Object.defineProperty(process, 'platform', { value: ${JSON.stringify(platform)} });
    const { default: cp } = await import('node:child_process');
    const { syncBuiltinESMExports } = await import('node:module');
    const { EventEmitter } = await import('node:events');
    const spawned = [];
    cp.spawn = (command, args, options = {}) => {
      spawned.push({ command, args, shell: options.shell ?? null, windowsVerbatimArguments: options.windowsVerbatimArguments ?? null });
      const child = new EventEmitter();
      child.unref = () => {};
      setImmediate(() => { child.emit('spawn'); setImmediate(() => child.emit('close', 0)); });
      return child;
    };
    syncBuiltinESMExports();
    const { systemOpener } = await import(${JSON.stringify(OPENER)});
    let error;
    try { await systemOpener({ env: ${JSON.stringify(env)} })(${JSON.stringify(url)}); } catch (e) { error = String(e && e.message); }
    process.stdout.write(JSON.stringify({ spawned, error }));
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, BROWSER: '' }, timeout: 30_000 });
  return JSON.parse(stdout) as { spawned: Spawned[]; error?: string };
}

/** What PowerShell runs for `-EncodedCommand X`: X is Base64 of UTF-16LE. */
const decodePowerShell = (args: string[]) => Buffer.from(args[args.indexOf('-EncodedCommand') + 1] ?? '', 'base64').toString('utf16le');

const HOSTILE = [
  'https://as.example/x&calc.exe&/claims',
  'https://as.example/claims?ticket=t1&redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2Fcb&state=s|whoami^&x=%PATH%',
  "https://as.example/'+(Start-Process calc)+'/;calc;$(calc)`calc`",
  'https://as.example/\u2019;calc;\u2018/x',
  'https://as.example/a b"c<d>e',
];

describe('system opener on Windows', () => {
  it.each(HOSTILE)('hands %s to the browser whole, with no cmd.exe and no way out of the string', async (url) => {
    const { spawned, error } = await probe('win32', url);
    expect(error).toBeUndefined();
    expect(spawned).toHaveLength(1);
    const [s] = spawned as [Spawned];
    expect(s.command).not.toMatch(/cmd(\.exe)?$/i);
    expect(s.command).toMatch(/powershell\.exe$/i);
    expect(s.shell).toBeNull();
    expect(s.args.slice(0, 5)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    expect(s.args).toHaveLength(6); // the URL is inside the encoded command, not an argv entry cmd or PowerShell could re-parse
    const command = decodePowerShell(s.args);
    const href = new URL(url).href;
    // One single-quoted PowerShell literal; every quote PowerShell honours (ASCII and typographic) doubled.
    const literal = `'${href.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
    expect(command).toBe(`$ProgressPreference = 'SilentlyContinue'; Start ${literal}`);
    expect(href).not.toMatch(/[ "<>]/);
  });
});

describe('system opener on Linux and macOS', () => {
  it.each([['linux', /xdg-open$/], ['darwin', /^open$/]] as const)('%s: the URL is one argv entry, no shell', async (platform, command) => {
    for (const url of HOSTILE.slice(0, 3)) {
      const { spawned, error } = await probe(platform, url);
      expect(error).toBeUndefined();
      expect(spawned).toEqual([{ command: expect.stringMatching(command) as unknown as string, args: [new URL(url).href], shell: null, windowsVerbatimArguments: null }]);
    }
  });

  it('BROWSER: argv without a shell, the URL in place of %s', async () => {
    const url = HOSTILE[0] ?? '';
    const { spawned } = await probe('linux', url, { BROWSER: 'firefox --new-window %s' });
    expect(spawned).toEqual([{ command: 'firefox', args: ['--new-window', url], shell: false, windowsVerbatimArguments: null }]);
  });
});

describe('system opener refuses what would start a program', () => {
  it.each(['file:///C:/Windows/System32/calc.exe', 'ms-msdt:/id PCWDiagnostic', 'javascript:alert(1)', '\\\\evil\\share\\x.exe', 'calc.exe', ''])('%s: nothing is spawned', async (url) => {
    for (const platform of ['win32', 'linux'] as const) {
      const { spawned, error } = await probe(platform, url);
      expect(spawned).toEqual([]);
      expect(error).toMatch(/not http or https/);
    }
  });

  it('browserUrl normalises what it passes and browserCommand keeps the URL one argument', () => {
    expect(browserUrl('HTTPS://AS.example/a b')).toBe('https://as.example/a%20b');
    expect(browserCommand('"/opt/My Browser/bin" %s', 'https://x/?a=1&b=2')).toEqual(['/opt/My Browser/bin', 'https://x/?a=1&b=2']);
  });
});
