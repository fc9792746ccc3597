/**
 * What the desktop app does at start-up, decided from plain inputs (unit-tested without Electron):
 * where data lives, whether the demo runs, whether DevTools exist, whether the launcher is told
 * the window is up. A packaged app ignores the environment and the command line (a `TESSERA_*`
 * variable must not move its data or its page), keeps everything under Electron's `userData`, and
 * starts the demo only after the person asked for it ("Try the demo", remembered in desktop.json).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { KeycloakCoreDemo } from '../app/compose';
import type { DemoOptions } from '../demo';
import { writeFileAtomic } from '../vault/files';

/** The first line `npm start`'s launcher waits for on the child's stdout once the window has loaded. */
export const READY_LINE = 'TESSERA_READY';

export interface DesktopInput {
  isPackaged: boolean;
  env: Record<string, string | undefined>;
  argv: readonly string[];
  /** `app.getPath('userData')`. */
  userData: string;
  /** The remembered choice (desktop.json). */
  settings: DesktopSettings;
}

export interface DesktopOptions {
  /** The environment the core sees: empty when packaged. */
  coreEnv: Record<string, string | undefined>;
  /** Tessera's config + vault directory; undefined = `TESSERA_HOME` or `~/.tessera` (development). */
  home?: string;
  /**
   * `false`; the demo's options (in memory when packaged); the Keycloak variant (`npm start` with
   * Keycloak passes it on); undefined = the core's default (`.tessera-demo`).
   */
  demo: false | DemoOptions | KeycloakCoreDemo | undefined;
  /**
   * The demo's options once started from the menu (packaged: in memory, since LMDB, the demo's
   * persistent store, is a native module the desktop app does not ship: electron.config.ts).
   */
  menuDemo?: DemoOptions;
  devTools: boolean;
  /** Print {@link READY_LINE} on stdout when the window has loaded (for `npm start`). */
  readySignal: boolean;
}

export const desktopSettings = z.object({ demo: z.boolean().default(false) });
export type DesktopSettings = z.infer<typeof desktopSettings>;

export function desktopOptions(input: DesktopInput): DesktopOptions {
  if (input.isPackaged) {
    const menuDemo: DemoOptions = { memory: true };
    return { coreEnv: {}, home: join(input.userData, 'data'), demo: input.settings.demo ? menuDemo : false, menuDemo, devTools: false, readySignal: false };
  }
  const noDemo = input.argv.includes('--no-demo') || input.env.TESSERA_NO_DEMO === '1';
  const keycloak = input.argv.some((a, i) => a === '--as=keycloak' || (a === '--as' && input.argv[i + 1] === 'keycloak'));
  return { coreEnv: input.env, demo: keycloak ? { keycloak: {} } : noDemo ? false : undefined, devTools: true, readySignal: input.env.TESSERA_READY_SIGNAL === '1' };
}

/** The demo options when the person starts it from the menu. */
export function demoOn(options: DesktopOptions): DemoOptions | undefined {
  return options.menuDemo;
}

/** Reads `<userData>/desktop.json`; missing or unreadable → defaults (the demo off). */
export async function loadDesktopSettings(userData: string): Promise<DesktopSettings> {
  try {
    const parsed = desktopSettings.safeParse(JSON.parse(await readFile(join(userData, 'desktop.json'), 'utf8')));
    return parsed.success ? parsed.data : desktopSettings.parse({});
  } catch {
    return desktopSettings.parse({});
  }
}

export async function saveDesktopSettings(userData: string, settings: DesktopSettings): Promise<void> {
  await mkdir(userData, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(userData, 'desktop.json'), `${JSON.stringify(desktopSettings.parse(settings), null, 2)}\n`);
}
