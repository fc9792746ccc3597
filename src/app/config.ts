/**
 * Non-secret configuration in `$TESSERA_HOME/config.json` (trusted ASes, aliases, manual endpoints,
 * client ids, settings), validated with zod. Secrets never live here: they go through the TokenStore.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { TesseraError, trustPolicy } from '@tessera/uma';

export const tesseraConfig = z.object({
  version: z.literal(1).default(1),
  trust: trustPolicy.default({ authorizationServers: [] }),
  settings: z
    .object({
      timeoutMs: z.number().int().positive().optional(),
      maxBodyBytes: z.number().int().positive().optional(),
      maxRedirects: z.number().int().min(0).optional(),
      discoveryTtlSeconds: z.number().int().positive().optional(),
    })
    .default({}),
});
export type TesseraConfig = z.infer<typeof tesseraConfig>;

/** `TESSERA_HOME`, default `~/.tessera`. */
export function tesseraHome(env: Record<string, string | undefined>): string {
  return env.TESSERA_HOME && env.TESSERA_HOME.length > 0 ? env.TESSERA_HOME : join(homedir(), '.tessera');
}

/** Reads and validates config.json; a missing file is an empty configuration. */
export async function loadConfig(home: string): Promise<TesseraConfig> {
  const file = join(home, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return tesseraConfig.parse({});
    throw new TesseraError('config_invalid', `Cannot read ${file}: ${(error as Error).message}.`, 'Check the file permissions.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TesseraError('config_invalid', `${file} is not valid JSON.`, 'Fix the file or move it away; nothing was changed.');
  }
  const parsed = tesseraConfig.safeParse(json);
  if (!parsed.success) {
    throw new TesseraError('config_invalid', `${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`, 'Fix the listed fields; nothing was changed.');
  }
  return parsed.data;
}

/** Writes config.json atomically (temp file + rename), mode 0600. */
export async function saveConfig(home: string, config: TesseraConfig): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const file = join(home, 'config.json');
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(tesseraConfig.parse(config), null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}
