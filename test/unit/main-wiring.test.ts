/**
 * The Electron shell's wiring with `electron` mocked (no Electron binary runs here): window
 * hardening, IPC sender and payload checks, openExternal policy, single-instance lock, safeStorage
 * handed to the vault, and the preload's one-function-per-method bridge.
 */
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const h = vi.hoisted(() => {
  const handlers: Record<string, (...a: unknown[]) => unknown> = {};
  const windows: { options: Record<string, unknown>; contents: Record<string, unknown>; on: Record<string, (...a: unknown[]) => void>; openHandler?: (d: { url: string }) => unknown; loaded?: string }[] = [];
  const fakeCore = { service: { call: vi.fn(async () => ({ mode: 'electron' })), subscribe: vi.fn(() => () => {}) }, demo: { idp: { issuer: 'http://127.0.0.1:4401' }, as: { issuer: 'http://127.0.0.1:4402' }, rs: { url: 'http://127.0.0.1:4403' } }, close: vi.fn() };
  return { handlers, windows, fakeCore, permission: undefined as undefined | ((wc: unknown, p: string, cb: (ok: boolean) => void) => void), headers: undefined as undefined | ((d: { responseHeaders: Record<string, string[]> }, cb: (r: unknown) => void) => void) };
});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>;
    constructor(options: Record<string, unknown>) {
      const entry: (typeof h.windows)[number] = { options, contents: {}, on: {} };
      this.webContents = {
        on: (ev: string, fn: (...a: unknown[]) => void) => { entry.on[ev] = fn; },
        setWindowOpenHandler: (fn: (d: { url: string }) => unknown) => { entry.openHandler = fn; },
        send: vi.fn(),
        mainFrame: {},
      };
      h.windows.push(entry);
    }
    once() {}
    loadFile(f: string) { h.windows.at(-1)!.loaded = f; return Promise.resolve(); }
    isMinimized() { return false; }
    focus() {}
    restore() {}
  }
  return {
    app: { requestSingleInstanceLock: vi.fn(() => true), on: vi.fn(), whenReady: vi.fn(async () => {}), quit: vi.fn() },
    BrowserWindow,
    ipcMain: { handle: vi.fn((channel: string, fn: (...a: unknown[]) => unknown) => { h.handlers[channel] = fn; }) },
    safeStorage: { isEncryptionAvailable: () => true, getSelectedStorageBackend: () => 'gnome_libsecret', encryptString: vi.fn(), decryptString: vi.fn() },
    session: { defaultSession: { setPermissionRequestHandler: (fn: typeof h.permission) => { h.permission = fn; }, webRequest: { onHeadersReceived: (fn: typeof h.headers) => { h.headers = fn; } } } },
    shell: { openExternal: vi.fn(async () => {}) },
    contextBridge: { exposeInMainWorld: vi.fn() },
    ipcRenderer: { invoke: vi.fn(async () => ({ ok: true })), on: vi.fn(), removeListener: vi.fn() },
  };
});
vi.mock('../../src/app/compose', () => ({ startCore: vi.fn(async () => h.fakeCore) }));

import * as electron from 'electron';
import { startCore } from '../../src/app/compose';
import { IPC_CALL, API_METHOD_NAMES } from '../../src/app/api-methods';
import { allowedExternal, isTrustedSender, RENDERER_CSP } from '../../src/main/security';

let main: typeof import('../../src/main/index');
const INDEX_URL = pathToFileURL(join(resolve('.'), 'dist', 'renderer', 'index.html')).href;

beforeAll(async () => {
  process.env.TESSERA_ROOT = resolve('.');
  main = await import('../../src/main/index');
  await main.start();
});

const event = (url: string, mainFrame = true) => {
  const frame = { url };
  return { senderFrame: frame, sender: { mainFrame: mainFrame ? frame : {} } } as never;
};

describe('Electron main process wiring', () => {
  it('takes the single-instance lock and starts the core with safeStorage for the vault', () => {
    expect(electron.app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(startCore).toHaveBeenCalledWith(expect.objectContaining({ mode: 'electron', safeStorage: electron.safeStorage }));
  });

  it('creates a hardened window: contextIsolation, sandbox, no Node, a preload; loads the renderer file', () => {
    const w = h.windows[0];
    expect(w?.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String((w?.options.webPreferences as { preload: string }).preload)).toMatch(/preload\.cjs$/);
    expect(w?.loaded).toMatch(/dist[\\/]renderer[\\/]index\.html$/);
  });

  it('denies navigation, new windows and permission requests; adds the CSP header', () => {
    const w = h.windows[0];
    const prevent = vi.fn();
    w?.on['will-navigate']?.({ preventDefault: prevent }, 'https://evil.example');
    expect(prevent).toHaveBeenCalled();
    expect(w?.openHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    const answers: boolean[] = [];
    h.permission?.({}, 'media', (ok) => answers.push(ok));
    expect(answers).toEqual([false]);
    let headers: unknown;
    h.headers?.({ responseHeaders: {} }, (r) => { headers = r; });
    expect(headers).toEqual({ responseHeaders: { 'Content-Security-Policy': [RENDERER_CSP] } });
  });

  it('opens only https and the demo\'s loopback ports in the system browser', async () => {
    vi.mocked(electron.shell.openExternal).mockClear();
    await main.openExternalChecked('https://docs.kantarainitiative.org/uma/');
    await main.openExternalChecked('http://127.0.0.1:4402/dashboard');
    await expect(main.openExternalChecked('http://127.0.0.1:22/')).rejects.toThrow();
    await expect(main.openExternalChecked('file:///etc/passwd')).rejects.toThrow();
    expect(electron.shell.openExternal).toHaveBeenCalledTimes(2);
  });

  it('IPC: registered on one channel; refuses other senders and sub-frames; validates payloads', async () => {
    const handler = h.handlers[IPC_CALL];
    expect(handler).toBeDefined();
    expect(await handler?.(event('https://evil.example/'), 'getState', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await handler?.(event(INDEX_URL, false), 'getState', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await handler?.(event(INDEX_URL), 'readSecrets', {})).toMatchObject({ ok: false });
    expect(await handler?.(event(INDEX_URL), 'openResource', { url: 'javascript:alert(1)' })).toMatchObject({ ok: false });
    expect(h.fakeCore.service.call).not.toHaveBeenCalled();
    expect(await handler?.(event(INDEX_URL), 'getState', {})).toEqual({ ok: true, result: { mode: 'electron' } });
    expect(h.fakeCore.service.call).toHaveBeenCalledWith('getState', {});
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
  it('trusts only the renderer page in the top frame', () => {
    expect(isTrustedSender(INDEX_URL, INDEX_URL, true)).toBe(true);
    expect(isTrustedSender(INDEX_URL, INDEX_URL, false)).toBe(false);
    expect(isTrustedSender('file:///tmp/other.html', INDEX_URL, true)).toBe(false);
    expect(isTrustedSender(undefined, INDEX_URL, true)).toBe(false);
  });
  it('allows https and known loopback ports only', () => {
    const ports = new Set([4401]);
    expect(allowedExternal('https://x.example/a', ports)).toBe(true);
    expect(allowedExternal('http://127.0.0.1:4401/auth', ports)).toBe(true);
    expect(allowedExternal('http://127.0.0.1:4999/', ports)).toBe(false);
    expect(allowedExternal('http://evil.example/', ports)).toBe(false);
    expect(allowedExternal('https://user:pw@x.example/', ports)).toBe(false);
    expect(allowedExternal('smb://x/', ports)).toBe(false);
  });
});
