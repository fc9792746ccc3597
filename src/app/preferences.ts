/**
 * The person's UI preferences that are not secret — theme, window size, the last screen — in a plain
 * `preferences.json` beside the vault, written atomically. They live without the vault: a locked or
 * memory-only Tessera still opens in the person's theme, on their screen, at their window size. In
 * browser mode the page's origin (and with it localStorage) can change between launches, so the core
 * keeps them, not the page.
 *
 * A damaged file (not JSON, wrong shapes, a directory or a symlink in its place) is kept aside as
 * `preferences.damaged-TIME.json` and the defaults apply; the caller says so once.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { Theme } from './api';
import type { TokenStore } from '@tessera/uma';
import { keepAside } from '../vault';
import { readRegularFile, writeFileAtomic } from '../vault/files';

export const PREFERENCES_FILE = 'preferences.json';

export const SCREENS = ['resources', 'flow', 'presenter', 'requests', 'tokens', 'connections', 'export'] as const;
export const preferencesSchema = z.object({
  theme: z.enum(['system', 'light', 'dark']).optional(),
  screen: z.enum(SCREENS).optional(),
  window: z.object({ width: z.number().int().min(400).max(10_000), height: z.number().int().min(300).max(10_000) }).strict().optional(),
}).strip();
export type Preferences = z.infer<typeof preferencesSchema>;

/** Reads the preferences; a damaged file is moved aside (`keptAside`) and the defaults returned. */
export async function loadPreferences(home: string): Promise<{ preferences: Preferences; keptAside?: string }> {
  const file = join(home, PREFERENCES_FILE);
  const found = await readRegularFile(file);
  if (found.kind === 'none') return { preferences: {} };
  if (found.kind === 'file') {
    try {
      const parsed = preferencesSchema.safeParse(JSON.parse(found.bytes.toString('utf8')));
      if (parsed.success) return { preferences: parsed.data };
    } catch { /* damaged: kept aside below */ }
  }
  const keptAside = await keepAside(file, 'damaged');
  return { preferences: {}, ...(keptAside ? { keptAside } : {}) };
}

/** Serialised, atomic writes of the whole preferences object. */
export class PreferencesFile {
  #current: Preferences;
  #writing: Promise<void> = Promise.resolve();
  constructor(readonly home: string, initial: Preferences) { this.#current = { ...initial }; }

  get current(): Preferences { return { ...this.#current }; }

  /** Merges `change` and writes the file (0600, temp + rename). */
  async set(change: Preferences): Promise<Preferences> {
    this.#current = preferencesSchema.parse({ ...this.#current, ...change });
    const snapshot = JSON.stringify(this.#current, null, 2);
    this.#writing = this.#writing.then(() => writeFileAtomic(join(this.home, PREFERENCES_FILE), `${snapshot}\n`)).catch(() => undefined);
    await this.#writing;
    return this.current;
  }
}

const uiSchema = z.object({ theme: z.enum(['system', 'light', 'dark']) });

/** The theme an older Tessera kept in the vault (read once, when preferences.json has none). */
export async function loadTheme(store: TokenStore): Promise<Theme | undefined> {
  const parsed = uiSchema.safeParse((await store.get('settings', 'ui'))?.value);
  return parsed.success ? parsed.data.theme : undefined;
}
