/**
 * What every token-using CLI command shares: the vault of TESSERA_HOME, config.json's trust plus
 * `--trust` flags, and the engine from the one composition root (src/app/engine.ts). The CLI keeps
 * its own flag parsing and output; it assembles nothing the app does not assemble the same way.
 */
import { loadConfig, tesseraHome, type TesseraConfig } from '../app/config';
import { composeEngine, type Engine, type EngineOptions } from '../app/engine';
import { trustWithFlags } from './client-flags';
import type { CliIo } from './command';
import { cliOpener } from './opener';
import { openCliStore, type CliStore } from './store';

export interface CliEngine extends Engine {
  config: TesseraConfig;
  opened: CliStore;
  close(): Promise<void>;
}

/** `makeFingerprintKey: false` for commands that only read or tidy the vault (see openCliStore). */
export async function openCliEngine(io: CliIo, options: { trust?: readonly string[]; interaction?: boolean; makeFingerprintKey?: boolean; submitRequest?: boolean; dpop?: 'on' | 'off' } & Omit<EngineOptions, 'store' | 'trust' | 'opener'>): Promise<CliEngine> {
  const home = tesseraHome(io.env);
  const config = await loadConfig(home);
  const flagged = trustWithFlags(config.trust, options.trust ? [...options.trust] : undefined);
  // --no-submit-request: Keycloak's submit_request=false for every AS of this run.
  // --dpop / --no-dpop: DPoP-bound RPTs forced on or off for every AS of this run (config.json's `dpop` otherwise).
  const trust = options.submitRequest === undefined && options.dpop === undefined ? flagged : { ...flagged, authorizationServers: flagged.authorizationServers.map((a) => ({ ...a, ...(options.submitRequest !== undefined ? { submitRequest: options.submitRequest } : {}), ...(options.dpop ? { dpop: options.dpop } : {}) })) };
  const opened = await openCliStore(io.env, home, { makeFingerprintKey: options.makeFingerprintKey !== false });
  const timeout = Number(io.env.TESSERA_INTERACTION_TIMEOUT ?? '');
  const { trust: _t, interaction, makeFingerprintKey: _m, submitRequest: _s, dpop: _d, ...rest } = options;
  const engine = composeEngine({
    ...rest,
    store: opened.store,
    trust,
    ...(interaction !== false ? { opener: cliOpener(io) } : {}),
    ...(timeout > 0 ? { interactionTimeoutMs: timeout * 1000 } : {}),
    // --no-resource-metadata, else config.json's settings.resourceMetadata: false, turns the well-known lookup off.
    ...(rest.wellKnownResourceMetadata === false || config.settings.resourceMetadata === false ? { wellKnownResourceMetadata: false } : {}),
    http: { ...(config.settings.timeoutMs ? { timeoutMs: config.settings.timeoutMs } : {}), ...(config.settings.maxBodyBytes ? { maxBodyBytes: config.settings.maxBodyBytes } : {}), ...(config.settings.maxRedirects !== undefined ? { maxRedirects: config.settings.maxRedirects } : {}), ...rest.http },
  });
  return { ...engine, config, opened, close: async () => { await opened.close?.(); } };
}
