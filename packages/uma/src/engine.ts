/**
 * `@tessera/uma/engine`: the building blocks {@link createAgent} composes, for hosts that compose
 * their own engine (Tessera's desktop app, CLI and probe do): the agent, the bounded HTTP client's
 * transcript, the RPT cache, the client resolver, token administration, the AS access helper, the
 * process-default fingerprint key. Semver applies here too, but most apps want `@tessera/uma`.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 * @packageDocumentation
 */
export { Agent, createAgent, repairRedirectUser, type AgentOptions, type FetchOptions, type FetchResult, type RptValue, type PctValue } from '../../../src/uma/agent';
export { Transcript, MAX_RECORDED_BODY } from '../../../src/kernel/transcript';
export { Redactor, SECRET_NAMES, describeToken, placeholder, setFingerprintKey } from '../../../src/kernel/redact';
export { RptCache, type HeldRpt } from '../../../src/uma/rpt-cache';
export { ClientResolver, type ClientResolverOptions } from '../../../src/uma/clients';
export { TokenAdmin } from '../../../src/uma/token-admin';
export { openAs, type AsAccess, type AsAccessDeps } from '../../../src/uma/as-access';
export { requireHttps } from '../../../src/uma/discovery';
export { umaTokenRequestRaw } from '../../../src/uma/grant';
export { SingleFlight } from '../../../src/uma/single-flight';
export { outcomes } from '../../../src/uma/outcomes';
