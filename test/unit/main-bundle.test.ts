/**
 * The built main process (esbuild → main.cjs, as `npm run build` makes it), loaded in Node with
 * `electron` replaced through a require hook (no Electron binary runs here): it registers the
 * app:// scheme before `ready`, and a packaged start-up that cannot create its data directory
 * shows a dialog, releases the single-instance lock and exits 1; a packaged start-up that works
 * keeps data under userData, runs no demo, has no DevTools and answers IPC from app://tessera.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildElectron } from '../../src/main/build';

const root = resolve('.');
const outdir = join(root, 'dist', `electron-test-${process.pid}`);
let mainFile = '';
const require = createRequire(import.meta.url);
type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: Loader };
const originalLoad = moduleInternals._load;

function fakeElectron(userData: string) {
  let markReady!: () => void;
  const ready = new Promise<void>((r) => { markReady = r; });
  const calls: string[] = [];
  const windows: { options: Record<string, unknown>; url?: string }[] = [];
  const handlers: Record<string, (...a: unknown[]) => unknown> = {};
  let serve: ((r: { url: string; method: string }) => Promise<Response>) | undefined;
  class BrowserWindow {
    webContents = { once: () => {}, send: () => {}, reload: () => {}, mainFrame: {} };
    static getAllWindows() { return windows; }
    constructor(options: Record<string, unknown>) { windows.push({ options }); }
    once() {}
    on() {}
    getSize() { return [1280, 860]; }
    loadURL(url: string) { windows.at(-1)!.url = url; return Promise.resolve(); }
  }
  const electron = {
    app: {
      isPackaged: true,
      requestSingleInstanceLock: vi.fn(() => { calls.push('lock'); return true; }),
      releaseSingleInstanceLock: vi.fn(() => calls.push('release')),
      exit: vi.fn((code: number) => calls.push(`exit ${code}`)),
      quit: vi.fn(), on: vi.fn(),
      whenReady: () => { calls.push('whenReady'); return ready; },
      getPath: (name: string) => { if (name !== 'userData') throw new Error(name); return userData; },
    },
    protocol: {
      registerSchemesAsPrivileged: vi.fn(() => calls.push('registerSchemes')),
      handle: vi.fn((_s: string, fn: typeof serve) => { calls.push('protocol.handle'); serve = fn; }),
    },
    session: { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn(), setDevicePermissionHandler: vi.fn() } },
    ipcMain: { handle: vi.fn((c: string, fn: (...a: unknown[]) => unknown) => { handlers[c] = fn; }) },
    dialog: { showErrorBox: vi.fn((title: string, _content: string) => calls.push(`dialog ${title}`)) },
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: vi.fn() },
    BrowserWindow,
    shell: { openExternal: vi.fn() },
    // Reversible stand-in for the OS-backed encryption Electron provides.
    safeStorage: { isEncryptionAvailable: () => true, getSelectedStorageBackend: () => 'gnome_libsecret', encryptString: (s: string) => Buffer.from(`enc:${s}`), decryptString: (b: Buffer) => b.toString().slice(4) },
  };
  return { electron, calls, windows, handlers, markReady, serve: () => serve };
}

function load(fake: ReturnType<typeof fakeElectron>): void {
  moduleInternals._load = function (request, parent, isMain) {
    if (request === 'electron') return fake.electron;
    return originalLoad.call(this, request, parent, isMain);
  };
  delete require.cache[mainFile];
  require(mainFile);
}

const settle = async (until: () => boolean) => { for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 25)); };

beforeAll(async () => { mainFile = await buildElectron(root, outdir); }, 60_000);
afterAll(() => { moduleInternals._load = originalLoad; rmSync(outdir, { recursive: true, force: true }); });

describe('dist main.cjs', () => {
  it('is a CommonJS bundle next to its preload', () => {
    expect(mainFile).toMatch(/main\.cjs$/);
    expect(existsSync(join(outdir, 'preload.cjs'))).toBe(true);
  });

  it('registers the scheme before ready; a start-up error → dialog, lock released, exit 1', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tessera-bundle-'));
    writeFileSync(join(base, 'not-a-dir'), '');
    const fake = fakeElectron(join(base, 'not-a-dir', 'userData')); // mkdir fails: ENOTDIR
    load(fake);
    expect(fake.calls).toEqual(['registerSchemes', 'lock', 'whenReady']);
    expect(fake.electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, supportFetchAPI: true }) }]);
    fake.markReady();
    await settle(() => fake.calls.includes('exit 1'));
    expect(fake.calls.slice(3)).toEqual(['protocol.handle', 'dialog Tessera could not start', 'release', 'exit 1']);
    expect(vi.mocked(fake.electron.dialog.showErrorBox).mock.calls[0]?.[1]).toMatch(/ENOTDIR|not a directory/i);
    expect(fake.windows).toHaveLength(0);
  }, 30_000);

  it('packaged and working: data in userData, no demo, no DevTools, app:// page, IPC answers its page only', async () => {
    const userData = mkdtempSync(join(tmpdir(), 'tessera-userdata-'));
    const fake = fakeElectron(userData);
    const env = { TESSERA_HOME: join(userData, 'elsewhere'), TESSERA_DEMO_DIR: join(userData, 'demo-elsewhere') };
    Object.assign(process.env, env); // ignored when packaged
    try {
      load(fake);
      fake.markReady();
      await settle(() => fake.windows.length > 0 || fake.calls.includes('exit 1'));
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
    expect(fake.calls).not.toContain('exit 1');
    expect(fake.windows[0]?.url).toBe('app://tessera/index.html');
    expect(fake.windows[0]?.options.webPreferences).toMatchObject({ devTools: false, sandbox: true, contextIsolation: true });
    expect(existsSync(join(userData, 'data'))).toBe(true);
    expect(existsSync(join(userData, 'elsewhere'))).toBe(false);
    const call = fake.handlers['tessera:call']!;
    const frame = { url: 'app://tessera/index.html' };
    const state = (await call({ senderFrame: frame, sender: { mainFrame: frame } }, 'getState', {})) as { ok: boolean; result: { mode: string; demo?: unknown; vault: { backend: string } } };
    expect(state.ok).toBe(true);
    expect(state.result.mode).toBe('electron');
    expect(state.result.demo).toBeUndefined();
    expect(state.result.vault.backend).toBe('safeStorage');
    const other = { url: 'file:///index.html' };
    expect(await call({ senderFrame: other, sender: { mainFrame: other } }, 'getState', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await fake.serve()!({ url: 'app://tessera/..%2f..%2fpackage.json', method: 'GET' })).status).toBe(404);
  }, 30_000);
});
