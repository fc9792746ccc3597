/**
 * Browser mode keeps its address across launches when it can: the page's origin includes the port,
 * and a new origin each launch would lose what the browser keeps per origin (bookmarks, a zoom
 * level, the tab itself). The last port is saved as `host.json` under the Tessera home and tried
 * first; when something else holds it, a free port is used (and remembered next time).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../vault/files';
import { startHost, type HostHandle, type HostOptions } from './server';

export const HOST_FILE = 'host.json';
const hostSchema = z.object({ port: z.number().int().min(1024).max(65535) }).strict();

export async function loadLastPort(home: string): Promise<number | undefined> {
  try {
    const parsed = hostSchema.safeParse(JSON.parse(await readFile(join(home, HOST_FILE), 'utf8')));
    return parsed.success ? parsed.data.port : undefined;
  } catch {
    return undefined;
  }
}

export async function saveLastPort(home: string, port: number): Promise<void> {
  await writeFileAtomic(join(home, HOST_FILE), `${JSON.stringify({ port })}\n`);
}

/** `startHost` on the last launch's port when free (else any free port), remembering the one used. */
export async function startHostOnLastPort(options: Omit<HostOptions, 'port' | 'preferPort'> & { home: string }): Promise<HostHandle> {
  const { home, ...rest } = options;
  const preferPort = await loadLastPort(home);
  const host = await startHost({ ...rest, ...(preferPort ? { preferPort } : {}) });
  await saveLastPort(home, Number(new URL(host.origin).port)).catch(() => undefined);
  return host;
}
