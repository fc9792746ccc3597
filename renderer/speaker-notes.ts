/**
 * Speaker notes in a second window (issue #23): the presenter publishes its current step on a
 * BroadcastChannel (same origin only: the browser delivers it to Tessera's own pages, nothing leaves
 * the machine) and the notes window (`#speaker-notes`, no API session of its own) shows it; keys
 * and buttons in the notes window move the presenter. Messages are checked with zod on arrival, so
 * a stray or malformed message is ignored. The step carries only what the presenter shows: the
 * narration and the notes, with tokens as chip names (T1, RPT1), never a token.
 */
import { z } from 'zod';

export const NOTES_CHANNEL = 'tessera-speaker-notes';
/** The notes window's route: the app's page with this fragment. */
export const NOTES_FRAGMENT = '#speaker-notes';

const text = z.string().max(4000);
const StepMessage = z.object({
  type: z.literal('step'),
  title: z.string().max(500),
  step: z.number().int().min(0).max(100_000),
  total: z.number().int().min(0).max(100_000),
  narration: text,
  notes: z.array(text).max(100),
  next: text.optional(),
}).strict();
const NotesMessage = z.discriminatedUnion('type', [
  StepMessage,
  z.object({ type: z.literal('hello') }).strict(),
  z.object({ type: z.literal('go'), to: z.enum(['next', 'previous', 'first', 'last']) }).strict(),
]);
export type NotesStep = z.infer<typeof StepMessage>;
export type NotesMessage = z.infer<typeof NotesMessage>;
export type NotesGo = Extract<NotesMessage, { type: 'go' }>['to'];

/** A message from the channel, or `undefined` when it is not one of ours. */
export function readNotesMessage(data: unknown): NotesMessage | undefined {
  const parsed = NotesMessage.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

/** The channel, or `undefined` where the browser has none (the presenter then works without it). */
export function openNotesChannel(): BroadcastChannel | undefined {
  return typeof BroadcastChannel === 'function' ? new BroadcastChannel(NOTES_CHANNEL) : undefined;
}

/** The notes window's address: this page with the notes fragment (app://tessera/index.html in Electron). */
export function notesUrl(location: Pick<Location, 'origin' | 'pathname'>): string {
  return `${location.origin}${location.pathname}${NOTES_FRAGMENT}`;
}
