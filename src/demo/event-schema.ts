/**
 * The one definition of a demo server's event (issue #23): the shape the demo's AS and RS publish on
 * `GET /.tessera/events` (src/demo/events.ts), the shape Tessera's core validates when it reads that
 * stream (src/app/server-events.ts) and when it imports a trace that carries them
 * (src/app/trace-import.ts), and the type the diagram draws (`ServerEventView`, src/app/api.ts).
 *
 * Why here: the shape is the demo's own interface, neither UMA (so not the engine package, whose
 * public API it would widen with Kate's policy rules) nor the app's (the demo publishes it, and the
 * demo imports nothing of the client). The publisher owns its wire format; the app, a higher layer,
 * imports it downwards as it already imports the demo to start it (src/app/compose.ts). Imports zod
 * only, no Node API: the renderer loads it through trace-import (test/unit/architecture.test.ts).
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-federated-authz-2.0.html
 */
import { z } from 'zod';

const text = (max: number) => z.string().max(max);
/** A token as the demo publishes it: its salted fingerprint (packages/uma/src/kernel/redact.ts's formula), never its value. */
const fingerprint = z.string().regex(/^fp:[A-Za-z0-9_-]{1,40}$/);

/** A rule of Kate's as an event shows it, with whether the requesting party's claims met it. */
export const ruleFactSchema = z.object({
  id: text(64),
  claim: z.enum(['email', 'role']),
  value: text(200),
  issuer: text(2048),
  scopes: z.array(text(100)).max(20),
  terms: z.boolean(),
  approval: z.boolean(),
  /** Did the party's verified claim (from this issuer) equal the rule's value? */
  matched: z.boolean(),
  /** The party's own value of the rule's claim, when the AS knew one. */
  saw: text(200).optional(),
});
export type RuleFact = z.infer<typeof ruleFactSchema>;

/** A server's event without its id: the fields on the demo's stream and in an exported flow's `server.events`. */
export const serverEventFields = z.object({
  at: text(64),
  side: z.enum(['rs', 'as', 'owner']),
  kind: z.enum(['registration', 'permission', 'introspection', 'decision', 'approval']),
  resource: z.object({ id: text(200), name: text(200), url: text(2048).optional() }).optional(),
  scopes: z.array(text(100)).max(20).optional(),
  /** Fingerprints only, by role: `pat`, `ticket` (the one presented), `new_ticket`, `rpt`, `old_rpt` (upgraded), `pct`. */
  tokens: z.array(z.object({ role: z.enum(['pat', 'ticket', 'new_ticket', 'rpt', 'old_rpt', 'pct']), fingerprint })).max(10),
  status: z.number().int().min(0).max(999).optional(),
  /** Introspection: answered from the RS's cache; whether the RPT was active and covered the request. */
  cached: z.boolean().optional(),
  active: z.boolean().optional(),
  /** Decision: the UMA answer. */
  outcome: z.enum(['granted', 'need_info', 'request_submitted', 'denied', 'invalid_grant']).optional(),
  /** The rule that decided (granted, pending), or the rules that did not match (denied). */
  rules: z.array(ruleFactSchema).max(50).optional(),
  /** The claims the AS used, and where they came from. */
  claims: z.object({ source: z.enum(['id_token', 'pct', 'interaction']), issuer: text(2048), values: z.record(text(40), text(200)) }).optional(),
  /** Who asked, in words the owner's dashboard uses (name or email). */
  requester: text(200).optional(),
  /** A pending request (its id fingerprinted when published): links a decision to Kate's approval of it. */
  request: fingerprint.optional(),
  decision: z.enum(['approved', 'denied']).optional(),
});

/** An event as the stream sends it: the fields, with the server's own number (per server, increasing). */
export const serverEventSchema = serverEventFields.extend({ id: z.number().int().min(0) });
/** An event as the demo publishes it (src/demo/events.ts) and Tessera reads it off the stream. */
export type ServerEvent = z.infer<typeof serverEventSchema>;
