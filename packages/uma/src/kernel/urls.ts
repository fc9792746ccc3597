/**
 * URL rules shared by every layer: what counts as this machine (loopback), and when plain http is
 * acceptable. One copy, so discovery, claims interaction, bookmarks, the Electron opener and the demo
 * servers cannot disagree.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3 (loopback redirect URIs)
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (issuer: https)
 */
import { SPEC, TesseraError, type ErrorCode } from './errors';

/**
 * Host names that always mean this machine. `*.localhost` resolves to loopback (RFC 6761 §6.3).
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Whether a host is this machine or a network that is not the public Internet: loopback names, IP
 * literals in the loopback, unspecified, private (RFC 1918), shared (RFC 6598), link-local (cloud
 * metadata at 169.254.169.254) and unique-local (fc00::/7) ranges, IPv4-mapped forms of them, and
 * names that only resolve inside a site (no dot, `.local`, `.internal`, `.lan`, `.home.arpa`). Takes
 * the hostname as the WHATWG URL parser leaves it (`0x7f.1` and `2130706433` are already `127.0.0.1`).
 * A public name that resolves to a private address is not caught here (no DNS lookup).
 * @see https://www.rfc-editor.org/rfc/rfc6890
 */
export function isLocalNetworkHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (isLoopbackHost(host) || host === '') return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(host);
  if (v4) {
    const a = Number(v4[1]);
    const b = Number(v4[2]);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
  }
  if (host.includes(':')) {
    if (host === '::' || host === '::1') return true;
    // An IPv4 address inside IPv6: mapped (::ffff:), compatible (::), SIIT (::ffff:0:) or NAT64 (64:ff9b::).
    const mapped = /^(?:::ffff:|::|::ffff:0:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped) {
      const hi = parseInt(mapped[1] as string, 16);
      const lo = parseInt(mapped[2] as string, 16);
      return isLocalNetworkHost(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    const first = parseInt(host.split(':')[0] || '0', 16);
    // unique-local fc00::/7, link-local fe80::/10, the deprecated site-local fec0::/10
    return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xffc0) === 0xfec0;
  }
  return !host.includes('.') || /\.(local|internal|lan|home\.arpa)$/.test(host);
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

/**
 * The code of the error thrown when a credential would cross the network in the clear.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3
 */
export const INSECURE_TRANSPORT = 'insecure_transport' satisfies ErrorCode;

/**
 * Whether plain http is acceptable for `url`: only to this machine. oauth4webapi's
 * `allowInsecureRequests` is set from this, never unconditionally.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2 (token endpoint: TLS required)
 */
export function allowsInsecureRequests(url: string | URL): boolean {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return u.protocol === 'http:' && isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}

/**
 * The rule for every credential (RPT, PCT, claim token, client credential, ID token, refresh
 * token): it goes over https, or over plain http only to this machine. Throws
 * {@link INSECURE_TRANSPORT} with the origin in `facts` otherwise.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3 (bearer tokens: always TLS)
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5 (UMA security considerations)
 */
export function requireSecureTransport(url: string | URL): void {
  const refusal = transportRefusal(url);
  if (refusal) throw refusal;
}

/**
 * The {@link INSECURE_TRANSPORT} error {@link requireSecureTransport} would throw for `url`, or undefined when it is fine.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3
 */
export function transportRefusal(url: string | URL): TesseraError | undefined {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return new TesseraError('usage', `"${String(url)}" is not an absolute URL.`, 'Give the full URL, starting with https://.');
  }
  if (isSecureOrLoopback(u)) return undefined;
  return new TesseraError(INSECURE_TRANSPORT, `Refusing to send a token or credential to ${u.origin} over plain ${u.protocol.replace(':', '')}.`, 'Use the https address: tokens and credentials travel in the clear over http, which Tessera allows only to this machine.', { spec: SPEC.bearerTls, facts: { origin: u.origin } });
}
