/**
 * URL rules shared by every layer: what counts as this machine (loopback), and when plain http is
 * acceptable. One copy, so discovery, claims interaction, bookmarks, the Electron opener and the demo
 * servers cannot disagree.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3 (loopback redirect URIs)
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (issuer: https)
 */

/**
 * Host names that always mean this machine. `*.localhost` resolves to loopback (RFC 6761 §6.3).
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Whether `url` points at this machine. Unparseable input is not loopback.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 */
export function isLoopbackUrl(url: string | URL): boolean {
  try {
    return isLoopbackHost((typeof url === 'string' ? new URL(url) : url).hostname);
  } catch {
    return false;
  }
}

/**
 * https anywhere, plain http only on this machine (the rule for ASes, resources and interaction pages).
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 */
export function isSecureOrLoopback(url: string | URL): boolean {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return false;
  }
  return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
}

/**
 * Parses an absolute http(s) URL, or returns undefined.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 */
export function parseHttpUrl(value: string): URL | undefined {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}
