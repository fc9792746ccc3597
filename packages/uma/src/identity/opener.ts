/**
 * Opens a URL in the person's system browser (RFC 8252 §4.1: never an embedded web view). `BROWSER`
 * wins (a command, `%s` replaced by the URL, else the URL appended); otherwise the `open` package
 * (`xdg-open` on Linux, `open` on macOS, PowerShell `Start-Process` with the URL as one quoted,
 * Base64-encoded literal on Windows). No shell is ever involved: a URL is one argv entry (or one
 * PowerShell string literal), so `&`, `|`, `^`, `;`, `$()` and quotes in it are data, never commands.
 * Only http(s) URLs are opened: a `file:`, `ms-msdt:` or other scheme handed to the OS opener would
 * start a program. The URL is always printed too, so a headless or remote session can copy it.
 * Tests and the desktop app inject their own opener (a Chromium page, `shell.openExternal`).
 */
import { spawn } from 'node:child_process';
import { TesseraError } from '../kernel/errors';

/**
 * Opens a URL in the person's browser.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-4.1
 */
export type Opener = (url: string) => Promise<void>;

/**
 * The environment (which browser, e.g. `BROWSER`) and where the URL is printed as well.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-4.1
 */
export interface SystemOpenerOptions {
  env?: Record<string, string | undefined>;
  /** Where the URL is printed (stderr in the CLI). */
  print?: (line: string) => void;
}

/**
 * The URL as it is handed to the OS (else a TesseraError, nothing spawned): parsed and re-serialised (WHATWG URL), so spaces, `"`, `<`,
 * `>` and backticks are percent-encoded, and only `http:` / `https:` pass.
 * @see https://url.spec.whatwg.org/#url-serializing
 */
export function browserUrl(url: string): string {
  let parsed: URL | undefined;
  try { parsed = new URL(url); } catch { parsed = undefined; }
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    throw new TesseraError('interaction_failed', 'Refused to open an address that is not http or https in the browser.', 'A server sent Tessera a sign-in or claims address with another scheme; nothing was opened.');
  }
  return parsed.href;
}

/**
 * Splits a BROWSER value into argv, honouring simple quotes.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-4.1
 */
export function browserCommand(browser: string, url: string): string[] {
  const parts = [...browser.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  const hasPlaceholder = parts.some((p) => p.includes('%s'));
  const argv = parts.map((p) => p.replace(/%s/g, url));
  return hasPlaceholder ? argv : [...argv, url];
}

function spawnBrowser(argv: string[]): Promise<void> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.resolve();
  return new Promise<void>((resolve) => {
    try {
      const child = spawn(cmd, args, { stdio: 'ignore', detached: true, shell: false });
      child.once('error', () => resolve()); // no such browser: the printed URL is the fallback
      child.once('spawn', () => { child.unref(); resolve(); });
    } catch {
      resolve();
    }
  });
}

/**
 * Opens a URL in the system browser (the external user-agent native apps must use).
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-4.1
 */
export function systemOpener(options: SystemOpenerOptions = {}): Opener {
  // No process.env here: the engine is a library; faces pass their environment (the CLI its own).
  const env = options.env ?? {};
  return async (url: string) => {
    const safe = browserUrl(url);
    options.print?.(`Open this address in your browser if it does not open by itself:\n  ${safe}`);
    // BROWSER may list alternatives separated by ':' (the sensible-browser convention): use the first.
    const browser = env.BROWSER?.split(':')[0]?.trim();
    if (browser) return spawnBrowser(browserCommand(browser, safe));
    try {
      // Loaded when a browser is to be opened: `open` and its helpers (WSL, containers, the default
      // browser) cost every `tessera fetch` a dozen module loads at start otherwise.
      const { default: open } = await import('open');
      await open(safe);
    } catch {
      // no opener on this system (a container, a server): the printed URL is the fallback
    }
  };
}
