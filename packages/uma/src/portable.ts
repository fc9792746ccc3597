/**
 * `@tessera/uma/portable`: the parts of the package that use no Node API, for code that runs or
 * type-checks without Node (a UI with DOM types only): the vocabulary of a flow as types, and the URL
 * rules (what is loopback, what may carry tokens).
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
 * @packageDocumentation
 */
export type { Lane, Lifeline, Outcome } from './kernel/outcome';
export { isLoopbackHost, isLoopbackUrl, isSecureOrLoopback, parseHttpUrl } from './kernel/urls';
export { SPEC, TesseraError, toErrorInfo, type ErrorCode, type ErrorFacts, type ErrorInfo } from './kernel/errors';
