/**
 * Browser mode keeps its address across launches when it can: the page's origin includes the port,
 * and a new origin each launch would lose what the browser keeps per origin (bookmarks, a zoom
 * level, the tab itself). The last port is saved as `host.json` under the Tessera home and tried
 * first; when something else holds it, a free port is used (and remembered next time).
 *
 * host.json (mode 0600, in the person's Tessera home) also holds a control secret of the running
 * host: a second `npm start` (or `tessera open`) presents it on 127.0.0.1 to get a fresh single-use
 * launch address, and opens that in a new tab instead of starting a second Tessera.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../vault/files';
import { startHost, type HostHandle, type HostOptions } from './server';

export const HOST_FILE = 'host.json';
const hostSchema = z.object({ port: z.number().int().min(1024).max(65535), control: z.string().regex(/^[\w-]{20,100}$/).optional() }).strict();
type HostFile = z.infer<typeof hostSchema>;

async function loadHostFile(home: string): Promise<HostFile | undefined> {
  try {
    const parsed = hostSchema.safeParse(JSON.parse(await readFile(join(home, HOST_FILE), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function loadLastPort(home: string): Promise<number | undefined> {
  return (await loadHostFile(home))?.port;
}

export async function saveLastPort(home: string, port: number, control?: string): Promise<void> {
  await writeFileAtomic(join(home, HOST_FILE), `${JSON.stringify({ port, ...(control ? { control } : {}) })}\n`);
}

/**
 * A fresh launch address from the Tessera already running on this home, or undefined when none
 * answers (nothing listening, another program on the port, a host of another launch). Loopback only,
 * with the control secret; a short timeout, so a dead entry costs little.
 */
export async function launchFromRunning(home: string, timeoutMs = 2000): Promise<string | undefined> {
  const file = await loadHostFile(home);
  if (!file?.control) return undefined;
  const origin = `http://127.0.0.1:${file.port}`;
  try {
    const response = await fetch(`${origin}/api/launch`, {
      method: 'POST', headers: { Authorization: `Bearer ${file.control}`, 'Content-Type': 'application/json' }, body: '{}',
      redirect: 'error', signal: AbortSignal.timeout(timeoutMs),
    });
    const body = z.object({ ok: z.literal(true), result: z.object({ launchUrl: z.string().max(300) }) }).safeParse(await response.json());
    // Only an address of that same loopback origin is opened.
    return body.success && body.data.result.launchUrl.startsWith(`${origin}/#k=`) ? body.data.result.launchUrl : undefined;
  } catch {
    return undefined;
  }
}

/** `startHost` on the last launch's port when free (else any free port), remembering the one used. */
export async function startHostOnLastPort(options: Omit<HostOptions, 'port' | 'preferPort'> & { home: string }): Promise<HostHandle> {
  const { home, ...rest } = options;
  const preferPort = await loadLastPort(home);
  const control = randomBytes(32).toString('base64url');
  const host = await startHost({ ...rest, control, ...(preferPort ? { preferPort } : {}) });
  await saveLastPort(home, Number(new URL(host.origin).port), control).catch(() => undefined);
  return host;
}
