/**
 * Opens a URL in the person's system browser (RFC 8252 §4.1: never an embedded web view). `BROWSER`
 * wins (a command, `%s` replaced by the URL, else the URL appended); otherwise the platform opener
 * (`xdg-open`, `open`, `start`). The URL is always printed too, so a headless or remote session can
 * copy it. Tests and the desktop app inject their own opener (a Chromium page, `shell.openExternal`).
 */
import { spawn } from 'node:child_process';

export type Opener = (url: string) => Promise<void>;

export interface SystemOpenerOptions {
  env?: Record<string, string | undefined>;
  /** Where the URL is printed (stderr in the CLI). */
  print?: (line: string) => void;
  platform?: NodeJS.Platform;
}

/** Splits a BROWSER value into argv, honouring simple quotes. */
export function browserCommand(browser: string, url: string): string[] {
  const parts = [...browser.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  const hasPlaceholder = parts.some((p) => p.includes('%s'));
  const argv = parts.map((p) => p.replace(/%s/g, url));
  return hasPlaceholder ? argv : [...argv, url];
}

export function systemOpener(options: SystemOpenerOptions = {}): Opener {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  return async (url: string) => {
    options.print?.(`Open this address in your browser if it does not open by itself:\n  ${url}`);
    // BROWSER may list alternatives separated by ':' (the sensible-browser convention): use the first.
    const browser = env.BROWSER?.split(':')[0]?.trim();
    const argv = browser ? browserCommand(browser, url) : platform === 'darwin' ? ['open', url] : platform === 'win32' ? ['cmd', '/c', 'start', '""', url] : ['xdg-open', url];
    const [cmd, ...args] = argv;
    if (!cmd) return;
    await new Promise<void>((resolve) => {
      try {
        const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
        child.once('error', () => resolve()); // no opener: the printed URL is the fallback
        child.once('spawn', () => { child.unref(); resolve(); });
      } catch {
        resolve();
      }
    });
  };
}
