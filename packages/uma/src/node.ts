/**
 * `@tessera/uma/node`: the claims-interaction leg in the person's system browser with a one-shot
 * loopback `claims_redirect_uri`, and the system-browser opener it uses (the `open` package, or the
 * `BROWSER` command of the environment you pass). The loopback building blocks, for an app that opens
 * URLs its own way (an Electron app's `shell.openExternal`), are in `@tessera/uma`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252
 * @packageDocumentation
 */
import { systemOpener, type SystemOpenerOptions } from './identity/opener';
import { loopbackInteraction } from './uma/interaction';
import type { ClaimsInteraction } from './uma/ports';

export { systemOpener, browserUrl, browserCommand, type SystemOpenerOptions } from './identity/opener';

/**
 * The claims interaction most native apps want: the system browser (the `BROWSER` command in `env`,
 * else the OS opener) and a loopback return on 127.0.0.1. Pass `env: process.env` to honour `BROWSER`.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
export function systemBrowserInteraction(options: SystemOpenerOptions & { timeoutMs?: number } = {}): ClaimsInteraction {
  const { timeoutMs, ...opener } = options;
  return loopbackInteraction({ open: systemOpener(opener), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
}
