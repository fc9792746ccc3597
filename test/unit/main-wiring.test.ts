/**
 * The Electron shell's wiring with `electron` mocked (no Electron binary runs here): the app://
 * scheme registered before ready and served with the CSP, window hardening, guards on every
 * webContents, permission handlers, IPC sender and payload checks, the openExternal policy from
 * the trusted servers, the single-instance lock, safeStorage handed to the vault, the demo menu,
 * and the preload's one-function-per-method bridge.
 */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const h = vi.hoisted(() => {
  const handlers: Record<string, (...a: unknown[]) => unknown> = {};
  const windows: { options: Record<string, unknown>; on: Record<string, (...a: unknown[]) => void>; loaded?: string; reload: () => void }[] = [];
  const appEvents: Record<string, (...a: unknown[]) => unknown> = {};
  const order: string[] = [];
  const state = { trusted: [{ issuer: 'http://127.0.0.1:4402' }, { issuer: 'https://kc.example/realms/x' }], providers: [{ issuer: 'http://127.0.0.1:4401' }], demo: { dashboardUrl: 'http://127.0.0.1:4402/dashboard' } };
  const makeCore = (demo: boolean) => ({ service: { call: vi.fn(async () => ({ mode: 'electron' })), subscribe: vi.fn(() => () => {}), getState: vi.fn(async () => state), preferences: {} }, ...(demo ? { demo: {} } : {}), close: vi.fn(async () => {}) });
  const menus: { template: { label?: string; submenu?: { id?: string; enabled?: boolean; click?: () => void; role?: string }[] }[] }[] = [];
  return { handlers, windows, appEvents, order, state, makeCore, menus, userData: '', perms: {} as Record<string, (...a: unknown[]) => unknown>, protocolHandler: undefined as undefined | ((r: { url: string; method: string }) => Promise<Response>) };
});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>;
    static getAllWindows() { return h.windows; }
    constructor(options: Record<string, unknown>) {
      const entry: (typeof h.windows)[number] = { options, on: {}, reload: vi.fn() };
      this.webContents = { once: (ev: string, fn: (...a: unknown[]) => void) => { entry.on[ev] = fn; }, send: vi.fn(), reload: entry.reload, mainFrame: {} };
      h.windows.push(entry);
    }
    once() {}
    on() {}
    getSize() { return [1280, 860]; }
    loadURL(u: string) { h.windows.at(-1)!.loaded = u; return Promise.resolve(); }
    isMinimized() { return false; }
    focus() {}
    restore() {}
  }
  return {
    app: {
      requestSingleInstanceLock: vi.fn(() => { h.order.push('lock'); return true; }),
      releaseSingleInstanceLock: vi.fn(), exit: vi.fn(),
      on: vi.fn((ev: string, fn: (...a: unknown[]) => unknown) => { h.appEvents[ev] = fn; }),
      whenReady: vi.fn(async () => { h.order.push('ready'); }),
      quit: vi.fn(), isPackaged: false, getPath: vi.fn(() => h.userData),
    },
    BrowserWindow,
    dialog: { showErrorBox: vi.fn() },
    Menu: { buildFromTemplate: vi.fn((template: unknown) => { h.menus.push({ template } as never); return template; }), setApplicationMenu: vi.fn() },
    protocol: {
      registerSchemesAsPrivileged: vi.fn(() => { h.order.push('scheme'); }),
      handle: vi.fn((_s: string, fn: typeof h.protocolHandler) => { h.order.push('handle'); h.protocolHandler = fn; }),
    },
    ipcMain: { handle: vi.fn((channel: string, fn: (...a: unknown[]) => unknown) => { h.handlers[channel] = fn; }) },
    safeStorage: { isEncryptionAvailable: () => true, getSelectedStorageBackend: () => 'gnome_libsecret', encryptString: vi.fn(), decryptString: vi.fn() },
    session: { defaultSession: {
      setPermissionRequestHandler: (fn: (...a: unknown[]) => unknown) => { h.perms.request = fn; },
      setPermissionCheckHandler: (fn: (...a: unknown[]) => unknown) => { h.perms.check = fn; },
      setDevicePermissionHandler: (fn: (...a: unknown[]) => unknown) => { h.perms.device = fn; },
    } },
    shell: { openExternal: vi.fn(async () => {}) },
    contextBridge: { exposeInMainWorld: vi.fn() },
    ipcRenderer: { invoke: vi.fn(async () => ({ ok: true })), on: vi.fn(), removeListener: vi.fn() },
  };
});
vi.mock('../../src/app/compose', () => ({ startCore: vi.fn(async (o: { demo?: unknown }) => h.makeCore(o.demo !== false)) }));

import * as electron from 'electron';
import { startCore } from '../../src/app/compose';
import { IPC_CALL, API_METHOD_NAMES } from '../../src/app/api-methods';
import { allowedExternal, APP_INDEX_URL, isTrustedSender, resolveAppPath, RENDERER_CSP, serveApp, trustedLoopbackOrigins } from '../../src/main/security';

let main: typeof import('../../src/main/app');

beforeAll(async () => {
  h.userData = mkdtempSync(join(tmpdir(), 'tessera-electron-'));
  main = await import('../../src/main/app');
  await main.start();
});

const event = (url: string, mainFrame = true) => {
  const frame = { url };
  return { senderFrame: frame, sender: { mainFrame: mainFrame ? frame : {} } } as never;
};

function fakeContents() {
  const on: Record<string, (e: { preventDefault: () => void }) => void> = {};
  let openHandler: ((d: { url: string }) => unknown) | undefined;
  return { on, open: (url: string) => openHandler?.({ url }), contents: { on: (ev: string, fn: (e: { preventDefault: () => void }) => void) => { on[ev] = fn; }, setWindowOpenHandler: (fn: typeof openHandler) => { openHandler = fn; } } };
}

describe('Electron main process wiring', () => {
  it('registers the app:// scheme before ready and before the lock; serves it only after ready', () => {
    expect(h.order.slice(0, 4)).toEqual(['scheme', 'lock', 'ready', 'handle']);
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, supportFetchAPI: true }) }]);
  });

  it('takes the single-instance lock and starts the core with safeStorage for the vault (development: env honoured)', () => {
    expect(electron.app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(startCore).toHaveBeenCalledWith(expect.objectContaining({ mode: 'electron', safeStorage: electron.safeStorage, env: process.env, notify: expect.any(Function) }));
  });

  it('creates a hardened window with DevTools (not packaged) and loads app://tessera/index.html', () => {
    const w = h.windows[0];
    expect(w?.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, devTools: true });
    expect(String((w?.options.webPreferences as { preload: string }).preload)).toMatch(/preload\.cjs$/);
    expect(w?.loaded).toBe(APP_INDEX_URL);
  });

  it('guards every webContents: navigation, new windows, webviews', () => {
    const f = fakeContents();
    h.appEvents['web-contents-created']?.({}, f.contents);
    for (const ev of ['will-navigate', 'will-attach-webview']) {
      const prevent = vi.fn();
      f.on[ev]?.({ preventDefault: prevent });
      expect(prevent, ev).toHaveBeenCalled();
    }
    expect(f.open('https://example.com/')).toEqual({ action: 'deny' });
  });

  it("lets the page open one window: the presenter's speaker notes, hardened and without the preload", () => {
    const f = fakeContents();
    h.appEvents['web-contents-created']?.({}, f.contents);
    const notes = f.open('app://tessera/index.html#speaker-notes') as { action: string; overrideBrowserWindowOptions?: { webPreferences?: Record<string, unknown> } };
    expect(notes.action).toBe('allow');
    expect(notes.overrideBrowserWindowOptions?.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(notes.overrideBrowserWindowOptions?.webPreferences).not.toHaveProperty('preload');
    // Anything else, even the app's own page with another fragment, is not a window.
    for (const url of ['app://tessera/index.html', 'app://tessera/index.html#k=x', 'app://tessera/index.html#speaker-notes-x', 'http://127.0.0.1:1/#speaker-notes']) expect(f.open(url), url).toEqual({ action: 'deny' });
  });

  it('denies permission requests, permission checks and device permissions', () => {
    const answers: boolean[] = [];
    h.perms.request?.({}, 'media', (ok: boolean) => answers.push(ok));
    expect(answers).toEqual([false]);
    expect(h.perms.check?.({}, 'clipboard-read', 'app://tessera', {})).toBe(false);
    expect(h.perms.device?.({ deviceType: 'usb', origin: 'app://tessera' })).toBe(false);
  });

  it('the protocol handler serves the renderer with the CSP and refuses traversal', async () => {
    const index = await h.protocolHandler!({ url: 'app://tessera/index.html', method: 'GET' });
    if (index.status === 200) expect(index.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    else expect(index.status).toBe(404); // dist/renderer not built in this checkout; serveApp is tested below on real files
    expect((await h.protocolHandler!({ url: 'app://tessera/..%2f..%2fpackage.json', method: 'GET' })).status).toBe(404);
  });

  it('opens https, and loopback only at trusted ASes/IdPs (and an IdP the person chose to sign in at)', async () => {
    vi.mocked(electron.shell.openExternal).mockClear();
    await main.openExternalChecked('https://docs.kantarainitiative.org/uma/');
    await main.openExternalChecked('http://127.0.0.1:4402/dashboard');
    await main.openExternalChecked('http://127.0.0.1:4401/auth?x=1');
    await expect(main.openExternalChecked('http://127.0.0.1:22/')).rejects.toThrow(/Refusing/);
    await expect(main.openExternalChecked('http://127.0.0.1:8080/realms/local/protocol/openid-connect/auth')).rejects.toThrow();
    await expect(main.openExternalChecked('file:///etc/passwd')).rejects.toThrow();
    expect(electron.shell.openExternal).toHaveBeenCalledTimes(3);
    await h.handlers[IPC_CALL]?.(event(APP_INDEX_URL), 'signIn', { issuer: 'http://127.0.0.1:8080/realms/local', clientId: 'tessera' });
    await main.openExternalChecked('http://127.0.0.1:8080/realms/local/protocol/openid-connect/auth');
    expect(electron.shell.openExternal).toHaveBeenCalledTimes(4);
  });

  it('IPC: registered on one channel; refuses other origins, file:// and sub-frames; validates payloads', async () => {
    const handler = h.handlers[IPC_CALL];
    expect(handler).toBeDefined();
    const callsBefore = vi.mocked(startCore).mock.results.length;
    const core = (await vi.mocked(startCore).mock.results[callsBefore - 1]!.value) as ReturnType<typeof h.makeCore>;
    core.service.call.mockClear();
    expect(await handler?.(event('https://evil.example/'), 'getState', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await handler?.(event('file:///work/dist/renderer/index.html'), 'getState', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await handler?.(event(APP_INDEX_URL, false), 'getState', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await handler?.(event(APP_INDEX_URL), 'readSecrets', {})).toMatchObject({ ok: false });
    expect(await handler?.(event(APP_INDEX_URL), 'openResource', { url: 'javascript:alert(1)' })).toMatchObject({ ok: false });
    expect(core.service.call).not.toHaveBeenCalled();
    expect(await handler?.(event(APP_INDEX_URL), 'getState', {})).toEqual({ ok: true, result: { mode: 'electron' } });
    expect(core.service.call).toHaveBeenCalledWith('getState', {});
  });

  it('the menu\'s "Stop the demo" / "Try the demo" restart the core, remember the choice and reload', async () => {
    const item = (id: string) => h.menus.at(-1)!.template.flatMap((m) => m.submenu ?? []).find((i) => i.id === id)!;
    expect(item('demo-start').enabled).toBe(false);
    await main.switchDemo(false);
    expect(vi.mocked(startCore).mock.lastCall?.[0]).toMatchObject({ demo: false });
    expect(item('demo-start').enabled).toBe(true);
    await main.switchDemo(true);
    expect(vi.mocked(startCore).mock.lastCall?.[0].demo).not.toBe(false);
    expect(h.windows[0]?.reload).toHaveBeenCalledTimes(2);
    const { loadDesktopSettings } = await import('../../src/main/options');
    expect(await loadDesktopSettings(h.userData)).toEqual({ demo: true });
    expect(h.menus.at(-1)!.template.flatMap((m) => m.submenu ?? []).some((i) => i.role === 'toggleDevTools')).toBe(true);
  });

  it('"Try the demo" that fails (ports taken) shows why and keeps Tessera running without the demo', async () => {
    await main.switchDemo(false);
    vi.mocked(startCore).mockRejectedValueOnce(new Error('The demo ports (4401-4403) are taken by something that is not the Tessera demo.'));
    await main.switchDemo(true);
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith('The demo could not start', expect.stringContaining('ports (4401-4403) are taken'));
    expect(vi.mocked(startCore).mock.lastCall?.[0]).toMatchObject({ demo: false });
    const { loadDesktopSettings } = await import('../../src/main/options');
    expect(await loadDesktopSettings(h.userData)).toEqual({ demo: false });
    const frame = { url: APP_INDEX_URL };
    expect(await h.handlers[IPC_CALL]?.({ senderFrame: frame, sender: { mainFrame: frame } }, 'getState', {})).toMatchObject({ ok: true });
  });

  it('a start-up failure shows a dialog, releases the lock and exits 1', () => {
    main.failStartup(new Error('EACCES: permission denied, mkdir \'/.tessera-demo\''));
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith('Tessera could not start', expect.stringContaining('EACCES'));
    expect(electron.app.releaseSingleInstanceLock).toHaveBeenCalled();
    expect(electron.app.exit).toHaveBeenCalledWith(1);
  });

  it('the preload exposes exactly one function per API method plus subscribe, over invoke', async () => {
    const { buildBridge } = await import('../../src/preload/index');
    expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledWith('tessera', expect.any(Object));
    const ipc = { invoke: vi.fn(async () => ({ ok: true, result: 1 })), on: vi.fn(), removeListener: vi.fn() };
    const bridge = buildBridge(ipc as never) as Record<string, (i?: unknown) => unknown>;
    expect(Object.keys(bridge).sort()).toEqual([...API_METHOD_NAMES, 'subscribe'].sort());
    await bridge.getState?.({});
    expect(ipc.invoke).toHaveBeenCalledWith(IPC_CALL, 'getState', {});
    expect(Object.isFrozen(bridge)).toBe(true);
  });
});

describe('shell security policy', () => {
  it('trusts only the app://tessera page in the top frame', () => {
    expect(isTrustedSender(APP_INDEX_URL, true)).toBe(true);
    expect(isTrustedSender('app://tessera/', true)).toBe(true);
    expect(isTrustedSender(APP_INDEX_URL, false)).toBe(false);
    expect(isTrustedSender('app://evil/index.html', true)).toBe(false);
    expect(isTrustedSender('file:///tmp/index.html', true)).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:5173/', true)).toBe(false);
    expect(isTrustedSender(undefined, true)).toBe(false);
  });

  it('allows https, and loopback only at trusted origins', () => {
    const origins = trustedLoopbackOrigins(h.state);
    expect([...origins].sort()).toEqual(['http://127.0.0.1:4401', 'http://127.0.0.1:4402']);
    expect(allowedExternal('https://x.example/a', origins)).toBe(true);
    expect(allowedExternal('http://127.0.0.1:4401/auth', origins)).toBe(true);
    expect(allowedExternal('http://127.0.0.1:4999/', origins)).toBe(false);
    expect(allowedExternal('https://127.0.0.1:4999/', origins)).toBe(false);
    expect(allowedExternal('http://localhost:4401/', origins)).toBe(false);
    expect(allowedExternal('http://evil.example/', origins)).toBe(false);
    expect(allowedExternal('https://user:pw@x.example/', origins)).toBe(false);
    expect(allowedExternal('smb://x/', origins)).toBe(false);
    expect(allowedExternal('javascript:alert(1)', origins)).toBe(false);
  });

  it('maps app:// URLs into the renderer directory only', () => {
    const root = '/srv/r';
    expect(resolveAppPath('app://tessera/', root)).toBe('/srv/r/index.html');
    expect(resolveAppPath('app://tessera/assets/a.js?x=1', root)).toBe('/srv/r/assets/a.js');
    // The URL parser already folds literal and %2e dot segments: they stay inside the directory.
    expect(resolveAppPath('app://tessera/../etc/passwd', root)).toBe('/srv/r/etc/passwd');
    expect(resolveAppPath('app://tessera/%2e%2e/%2e%2e/etc/passwd', root)).toBe('/srv/r/etc/passwd');
    // Encoded slashes, backslashes, NUL, bad escapes, other hosts and schemes: refused.
    for (const bad of ['app://tessera/a/..%2f..%2f..%2fetc', 'app://tessera/..%2F..%2Fetc', 'app://tessera/a%5c..%5c..%5cx', 'app://tessera/a%00.js', 'app://other/index.html', 'file:///srv/r/index.html', 'app://tessera/%E0%A4%A']) {
      expect(resolveAppPath(bad, root), bad).toBeUndefined();
    }
  });

  it('serves real files with their MIME type, nosniff, and the CSP on HTML only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-renderer-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'export {}');
    writeFileSync(join(dir, 'assets', 'index-abc.css'), 'body{}');
    writeFileSync(join(dir, 'secret.bin'), 'x');
    writeFileSync(join(dir, '..', 'outside.txt'), 'outside');
    const html = await serveApp({ url: 'app://tessera/index.html', method: 'GET' }, dir);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(await html.text()).toContain('<title>t</title>');
    const js = await serveApp({ url: 'app://tessera/assets/index-abc.js', method: 'GET' }, dir);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toBeNull();
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await serveApp({ url: 'app://tessera/assets/index-abc.css', method: 'GET' }, dir)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await serveApp({ url: 'app://tessera/secret.bin', method: 'GET' }, dir)).headers.get('content-type')).toBe('application/octet-stream');
    expect((await serveApp({ url: 'app://tessera/missing.js', method: 'GET' }, dir)).status).toBe(404);
    expect((await serveApp({ url: 'app://tessera/..%2foutside.txt', method: 'GET' }, dir)).status).toBe(404);
    expect((await serveApp({ url: 'app://tessera/index.html', method: 'POST' }, dir)).status).toBe(405);
  });
});
