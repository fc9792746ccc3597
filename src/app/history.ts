/**
 * The timeline's history across restarts: the redacted flows (the same views the UI gets), kept
 * encrypted in a sealed document whose key lives in the vault (src/vault/sealed-file.ts). Records
 * are health data, so nothing of it is ever written in plaintext; with a memory-only vault the
 * history lives as long as the process.
 *
 * Bounded: the newest {@link HISTORY_LIMIT} flows; a record body up to {@link HISTORY_BODY_LIMIT}
 * characters; binary bodies (PDFs, images) are not kept (they are fetched again on Open); at most
 * {@link HISTORY_STEP_LIMIT} steps per flow (a request watched for a day polls many times).
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { FlowView } from './api';
import type { TokenStore } from '@tessera/uma';
import { sealedDocument, type SealedDocument } from '../vault';

export const HISTORY_LIMIT = 200;
export const HISTORY_BODY_LIMIT = 256 * 1024;
export const HISTORY_STEP_LIMIT = 100;
export const HISTORY_FILE = 'history.sealed.json';

interface HistoryDoc { version: 1; flows: FlowView[] }
/** The document's outer shape (flows are our own views, written by this module). */
const docSchema = z.object({ version: z.literal(1), flows: z.array(z.object({ flowId: z.string(), url: z.string(), startedAt: z.string(), running: z.boolean(), steps: z.array(z.unknown()) }).loose()) });

/** A flow as history keeps it: bounded, without binary bodies, never "running" (a restart ended it). */
export function historyView(flow: FlowView): FlowView {
  const { bodyBase64: _binary, ...rest } = flow;
  const kept: FlowView = { ...rest, steps: flow.steps.slice(-HISTORY_STEP_LIMIT) };
  if (kept.body !== undefined && kept.body.length > HISTORY_BODY_LIMIT) delete kept.body;
  if (kept.running) {
    kept.running = false;
    if (!kept.outcome) kept.outcome = 'error';
    kept.error ??= { code: 'interrupted', message: 'Tessera stopped while this was running.', hint: 'Open the resource again.' };
  }
  return kept;
}

export class History {
  readonly #doc: SealedDocument<HistoryDoc> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #latest: (() => FlowView[]) | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(store: TokenStore, home: string) {
    this.#doc = store.persistent ? sealedDocument<HistoryDoc>(store, join(home, HISTORY_FILE), 'history') : undefined;
  }

  /**
   * The flows of earlier runs, oldest first. A history file that cannot be read (a directory or a
   * symlink in its place, truncated, tampered, foreign, empty, its key gone) is moved aside as
   * `history.damaged-TIME.json` — never overwritten by the next save — and `keptAside` says where.
   */
  async load(): Promise<{ flows: FlowView[]; keptAside?: { path: string; reason: string } }> {
    if (!this.#doc) return { flows: [] };
    const found = await this.#doc.inspect();
    if (found.kind === 'none') return { flows: [] };
    const parsed = found.kind === 'ok' ? docSchema.safeParse(found.value) : undefined;
    if (parsed?.success) return { flows: (parsed.data.flows as unknown as FlowView[]).slice(-HISTORY_LIMIT) };
    const reason = found.kind === 'damaged' ? found.reason : 'not a history this Tessera can read';
    const path = await this.#doc.setAside('damaged');
    return { flows: [], ...(path ? { keptAside: { path, reason } } : {}) };
  }

  /** Schedules a write of `flows()` (oldest first); writes are coalesced so a burst of steps costs one. */
  save(flows: () => FlowView[], delayMs = 250): void {
    if (!this.#doc) return;
    this.#latest = flows;
    if (this.#timer) return;
    this.#timer = setTimeout(() => { this.#timer = undefined; void this.flush(); }, delayMs);
  }

  /** Writes a pending save now. */
  async flush(): Promise<void> {
    if (this.#timer) { clearTimeout(this.#timer); this.#timer = undefined; }
    const latest = this.#latest;
    this.#latest = undefined;
    if (latest && this.#doc) {
      const doc = this.#doc;
      const flows = latest().slice(-HISTORY_LIMIT).map(historyView);
      this.#writing = this.#writing.then(() => doc.write({ version: 1, flows })).catch(() => undefined);
    }
    await this.#writing;
  }

  /** Forgets the stored history (the file and its key). */
  async clear(): Promise<void> {
    if (this.#timer) { clearTimeout(this.#timer); this.#timer = undefined; }
    this.#latest = undefined;
    await this.#writing;
    await this.#doc?.remove();
  }
}
