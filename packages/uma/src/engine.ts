/**
 * `@tessera/uma/engine`: the building blocks {@link createAgent} composes, for hosts that compose
 * their own engine (Tessera's desktop app, CLI and probe do): the agent, the bounded HTTP client's
 * transcript, the RPT cache, the client resolver, token administration, the AS access helper, the
 * process-default fingerprint key. Semver applies here too, but most apps want `@tessera/uma`.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 * @packageDocumentation
 */
export { Agent, createAgent, repairRedirectUser, type AgentOptions, type FetchOptions, type FetchResult, type RptValue, type PctValue } from './uma/agent';
export { Transcript, MAX_RECORDED_BODY } from './kernel/transcript';
export { Redactor, SECRET_NAMES, describeToken, placeholder, setFingerprintKey } from './kernel/redact';
export { RptCache, type HeldRpt } from './uma/rpt-cache';
export { ClientResolver, type ClientResolverOptions } from './uma/clients';
export { TokenAdmin } from './uma/token-admin';
export { openAs, type AsAccess, type AsAccessDeps } from './uma/as-access';
export { requireHttps } from './uma/discovery';
export { umaTokenRequestRaw } from './uma/grant';
export { SingleFlight } from './uma/single-flight';
export { outcomes } from './uma/outcomes';
