/**
 * The person's UI preferences kept by the core (in the vault's settings), not in the page: in
 * browser mode the page's origin — and with it localStorage — can change between launches.
 */
import { z } from 'zod';
import type { Theme } from './api';
import type { TokenStore } from '@tessera/uma';

const uiSchema = z.object({ theme: z.enum(['system', 'light', 'dark']) });

export async function loadTheme(store: TokenStore): Promise<Theme> {
  const parsed = uiSchema.safeParse((await store.get('settings', 'ui'))?.value);
  return parsed.success ? parsed.data.theme : 'system';
}

export async function saveTheme(store: TokenStore, theme: Theme): Promise<void> {
  await store.put('settings', 'ui', { theme }, { label: 'appearance' });
}
