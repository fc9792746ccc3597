/**
 * The shared vocabulary of a flow, in one place for every layer and face (pure types, no imports, so
 * the renderer's type-check can read it): where an exchange happens and what a fetch ended in.
 */

/** Who an exchange is with: the resource server, the authorization server, the requesting party's
 * identity provider, or the person's browser (claims interaction, sign-in). Tessera is the other end.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.1.2
 */
export type Lane = 'rs' | 'as' | 'idp' | 'browser';

/**
 * The lifelines of a sequence diagram: the lanes plus Tessera itself.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
 */
export type Lifeline = 'tessera' | Lane;

/**
 * What a fetch ended in. The codes are stable; faces choose the words.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
 */
export type Outcome = 'granted' | 'denied' | 'need_info' | 'pending' | 'untrusted_as' | 'as_unreachable' | 'error';
