/**
 * The Electron main process: one window over the shared renderer, the core (service, vault with
 * safeStorage, demo servers) in this privileged process, and the API over IPC.
 * contextIsolation + sandbox, no Node in the renderer, navigation and new windows denied,
 * permission requests denied, every IPC call checked for its sender and validated (zod), a single
 * instance lock, openExternal only after checks.
 */
import { app, BrowserWindow, ipcMain, safeStorage, session, shell, type IpcMainInvokeEvent } from 'electron';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCall } from '../app/api';
import { IPC_CALL, IPC_EVENT } from '../app/api-methods';
import { toErrorInfo } from '../kernel/errors';
import { startCore, type Core } from '../app/compose';
import { allowedExternal, isTrustedSender, RENDERER_CSP } from './security';

const ROOT = process.env.TESSERA_ROOT ?? resolve(__dirname, '..', '..');
const INDEX = join(ROOT, 'dist', 'renderer', 'index.html');
const INDEX_URL = pathToFileURL(INDEX).href;

let win: BrowserWindow | undefined;
let core: Core | undefined;
const loopbackPorts = new Set<number>();

export async function openExternalChecked(url: string): Promise<void> {
  if (!allowedExternal(url, loopbackPorts)) throw new Error(`Refusing to open ${new URL(url).origin} outside Tessera.`);
  await shell.openExternal(url);
}

export async function handleCall(event: IpcMainInvokeEvent, method: unknown, input: unknown): Promise<{ ok: boolean; result?: unknown; error?: unknown }> {
  if (!isTrustedSender(event.senderFrame?.url, INDEX_URL, event.senderFrame === event.sender.mainFrame)) return { ok: false, error: { code: 'forbidden', message: 'Calls are accepted only from Tessera\'s own page.', hint: '' } };
  if (!core) return { ok: false, error: { code: 'starting', message: 'Tessera is still starting.', hint: 'Try again in a moment.' } };
  try {
    const call = parseCall(method, input);
    return { ok: true, result: await core.service.call(call.method, call.input) };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}

export function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1280, height: 860, title: 'Tessera', show: false,
    webPreferences: { preload: join(__dirname, 'preload.cjs'), contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false },
  });
  w.webContents.on('will-navigate', (e) => e.preventDefault());
  w.webContents.setWindowOpenHandler(({ url }) => {
    void openExternalChecked(url).catch(() => undefined);
    return { action: 'deny' };
  });
  w.once('ready-to-show', () => w.show());
  void w.loadFile(INDEX);
  return w;
}

export async function start(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => { if (win) { if (win.isMinimized()) win.restore(); win.focus(); } });
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } }));
  ipcMain.handle(IPC_CALL, handleCall);
  core = await startCore({
    env: process.env, mode: 'electron', opener: openExternalChecked,
    ...(process.argv.includes('--no-demo') ? { demo: false as const } : {}),
    safeStorage,
  });
  if (core.demo) for (const u of [core.demo.idp.issuer, core.demo.as.issuer, core.demo.rs.url]) loopbackPorts.add(Number(new URL(u).port));
  win = createWindow();
  core.service.subscribe((event) => win?.webContents.send(IPC_EVENT, event));
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => { void core?.close(); });
}

if (process.versions.electron && !process.env.VITEST) void start();
