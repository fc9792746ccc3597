/**
 * The Electron main process: one window over the shared renderer served from `app://tessera`, the
 * core (service, vault with safeStorage, demo servers) in this privileged process, and the API
 * over IPC. contextIsolation + sandbox, no Node in the renderer, every webContents guarded
 * (navigation, new windows, webviews), permissions denied, every IPC call checked for its sender
 * and validated (zod), a single-instance lock, openExternal only after checks.
 * `index.ts` runs {@link start}; this module only defines it (so it can be tested with `electron` mocked).
 * @see https://www.electronjs.org/docs/latest/tutorial/security
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, safeStorage, session, shell, type IpcMainInvokeEvent, type MenuItemConstructorOptions, type WebContents } from 'electron';
import { join, resolve } from 'node:path';
import { parseCall } from '../app/api';
import { IPC_CALL, IPC_EVENT } from '../app/api-methods';
import { toErrorInfo } from '@tessera/uma';
import { isLoopbackUrl } from '@tessera/uma/portable';
import { startCore, type Core } from '../app/compose';
import { allowedExternal, APP_INDEX_URL, APP_SCHEME, NOTES_WINDOW_URL, APP_SCHEME_PRIVILEGES, isTrustedSender, serveApp, trustedLoopbackOrigins } from './security';
import { decisionNotifier } from './notify';
import { demoOn, desktopOptions, loadDesktopSettings, READY_LINE, saveDesktopSettings, type DesktopOptions } from './options';

/** The app's files: `dist/electron/main.cjs` → two levels up (inside the asar when packaged). Never from the environment. */
const ROOT = resolve(__dirname, '..', '..');
export const RENDERER_DIR = join(ROOT, 'dist', 'renderer');

let win: BrowserWindow | undefined;
let core: Core | undefined;
let unsubscribe: (() => void) | undefined;
let options: DesktopOptions | undefined;
/** Loopback identity providers the person chose to sign in at in this session (a local Keycloak before it is saved anywhere). */
const chosenLoopback = new Set<string>();

export async function openExternalChecked(url: string): Promise<void> {
  const origins = core ? trustedLoopbackOrigins(await core.service.getState()) : new Set<string>();
  for (const o of chosenLoopback) origins.add(o);
  if (!allowedExternal(url, origins)) {
    let origin = url;
    try { origin = new URL(url).origin; } catch { /* not a URL */ }
    throw new Error(`Refusing to open ${origin} outside Tessera: only https, or a server on this machine that you trust.`);
  }
  await shell.openExternal(url);
}

export async function handleCall(event: IpcMainInvokeEvent, method: unknown, input: unknown): Promise<{ ok: boolean; result?: unknown; error?: unknown }> {
  if (!isTrustedSender(event.senderFrame?.url, event.senderFrame === event.sender.mainFrame)) return { ok: false, error: { code: 'forbidden', message: 'Calls are accepted only from Tessera\'s own page.', hint: '' } };
  if (!core) return { ok: false, error: { code: 'starting', message: 'Tessera is still starting.', hint: 'Try again in a moment.' } };
  try {
    const call = parseCall(method, input);
    if (call.method === 'signIn') {
      const issuer = (call.input as { issuer: string }).issuer;
      if (isLoopbackUrl(issuer)) chosenLoopback.add(new URL(issuer).origin);
    }
    return { ok: true, result: await core.service.call(call.method, call.input) };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}

/**
 * Guards for every webContents, the main window's and any other (`web-contents-created`): no
 * navigation away from the page, no new windows but the presenter's speaker notes (the app's own
 * page, hardened like the main window, without the preload: it makes no calls), allowed links go
 * to the system browser, no `<webview>`.
 * @see https://www.electronjs.org/docs/latest/tutorial/security#13-disable-or-limit-navigation
 */
export function guardContents(contents: WebContents): void {
  contents.on('will-navigate', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (url === NOTES_WINDOW_URL) {
      return { action: 'allow', overrideBrowserWindowOptions: { width: 760, height: 640, title: 'Speaker notes — Tessera', webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false, devTools: false } } };
    }
    void openExternalChecked(url).catch(() => undefined);
    return { action: 'deny' };
  });
}

export function createWindow(devTools: boolean, readySignal: boolean, size?: { width: number; height: number }): BrowserWindow {
  const w = new BrowserWindow({
    width: size?.width ?? 1280, height: size?.height ?? 860, title: 'Tessera', show: false,
    webPreferences: { preload: join(__dirname, 'preload.cjs'), contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false, devTools },
  });
  w.once('ready-to-show', () => w.show());
  // The window's size is a preference (preferences.json, kept without the vault): remembered when it changes.
  let timer: ReturnType<typeof setTimeout> | undefined;
  w.on('resize', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const [width = 1280, height = 860] = w.getSize();
      void core?.service.call('setPreferences', { window: { width: Math.max(400, Math.min(10_000, width)), height: Math.max(300, Math.min(10_000, height)) } }).catch(() => undefined);
    }, 500);
  });
  if (readySignal) w.webContents.once('did-finish-load', () => { process.stdout.write(`${READY_LINE}\n`); });
  void w.loadURL(APP_INDEX_URL);
  return w;
}

function coreFor(demo: DesktopOptions['demo']) {
  const o = options!;
  return startCore({
    env: o.coreEnv, mode: 'electron', opener: openExternalChecked, safeStorage, notify: decisionNotifier(() => win),
    ...(o.home ? { home: o.home } : {}),
    ...(demo !== undefined ? { demo } : {}),
  });
}

function attach(next: Core): void {
  core = next;
  unsubscribe = next.service.subscribe((event) => win?.webContents.send(IPC_EVENT, event));
}

/** "Try the demo" / "Stop the demo": restarts the core with or without the demo servers, remembers the choice, reloads the page. */
export async function switchDemo(on: boolean): Promise<void> {
  const previous = core;
  unsubscribe?.();
  core = undefined;
  await previous?.close();
  try {
    attach(await coreFor(on ? demoOn(options!) : false));
    await saveDesktopSettings(app.getPath('userData'), { demo: on });
  } catch (error) {
    dialog.showErrorBox(on ? 'The demo could not start' : 'Tessera could not restart', error instanceof Error ? error.message : String(error));
    if (!core) attach(await coreFor(false));
  }
  setMenu();
  win?.webContents.reload();
}

function setMenu(): void {
  const demoRunning = Boolean(core?.demo);
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'Tessera',
      submenu: [
        { id: 'demo-start', label: 'Try the demo (Kate\'s records on this machine)', enabled: !demoRunning, click: () => { void switchDemo(true); } },
        { id: 'demo-stop', label: 'Stop the demo', enabled: demoRunning, click: () => { void switchDemo(false); } },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { label: 'View', submenu: [{ role: 'reload' }, ...(options?.devTools ? [{ role: 'toggleDevTools' as const }] : []), { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

/** Any start-up error: a dialog, the single-instance lock released, exit 1 (never a window-less process). */
export function failStartup(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  try { dialog.showErrorBox('Tessera could not start', `${message}${options?.home ? `\n\nData: ${options.home}` : ''}`); } finally {
    app.releaseSingleInstanceLock();
    app.exit(1);
  }
}

export async function start(): Promise<void> {
  // Before anything is awaited (so before `ready`): the privileged scheme, then the lock.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => { if (win) { if (win.isMinimized()) win.restore(); win.focus(); } });
  app.on('web-contents-created', (_e, contents) => guardContents(contents));
  await app.whenReady();
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  protocol.handle(APP_SCHEME, (request) => serveApp(request, RENDERER_DIR));
  ipcMain.handle(IPC_CALL, handleCall);
  const userData = app.getPath('userData');
  options = desktopOptions({ isPackaged: app.isPackaged, env: process.env, argv: process.argv, userData, settings: app.isPackaged ? await loadDesktopSettings(userData) : { demo: false } });
  attach(await coreFor(options.demo));
  setMenu();
  const o = options;
  win = createWindow(o.devTools, o.readySignal, core?.service.preferences.window);
  app.on('activate', () => { if (BrowserWindow.getAllWindows().length === 0) win = createWindow(o.devTools, false); });
  app.on('window-all-closed', () => { if (process.platform !== 'darwin') app.quit(); });
  app.on('before-quit', (e) => {
    const c = core;
    if (!c) return;
    e.preventDefault();
    core = undefined;
    void c.close().finally(() => app.quit());
  });
}
