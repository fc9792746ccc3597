/**
 * The Electron shell's security decisions, as plain functions (unit-tested without Electron):
 * which senders may call the API, which URLs may open in the system browser, the page CSP.
 * @see https://www.electronjs.org/docs/latest/tutorial/security
 */
export const RENDERER_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Only the app's own page (file:// under the renderer directory), top frame, may call the API. */
export function isTrustedSender(frameUrl: string | undefined, rendererIndexUrl: string, isMainFrame: boolean): boolean {
  if (!frameUrl || !isMainFrame) return false;
  try {
    const a = new URL(frameUrl);
    const b = new URL(rendererIndexUrl);
    return a.protocol === 'file:' && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

/**
 * `shell.openExternal` only for https, and for http on loopback ports the app knows (the demo's
 * servers and Tessera's own sign-in/claims pages): never file:, javascript:, custom schemes or
 * other hosts over plain http.
 */
export function allowedExternal(url: string, loopbackPorts: ReadonlySet<number>): boolean {
  let u: URL;
  try { u = new URL(url); } catch { return false; }
  if (u.username || u.password) return false;
  if (u.protocol === 'https:') return true;
  if (u.protocol === 'http:' && u.hostname === '127.0.0.1') return loopbackPorts.size === 0 ? false : loopbackPorts.has(Number(u.port || 80));
  return false;
}
