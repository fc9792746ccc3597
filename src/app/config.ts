/**
 * Non-secret configuration in `$TESSERA_HOME/config.json` (trusted ASes, aliases, manual endpoints,
 * client ids, settings), validated with zod. Secrets never live here: they go through the TokenStore.
 * The app and the CLI may change it at the same time: every change is a read-modify-write under the
 * vault's cross-process lock, with an atomic, fsynced replace ({@link updateConfig}).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { TesseraError, trustPolicy } from '@tessera/uma';
import { updateFileLocked } from '../vault/files';

export const tesseraConfig = z.object({
  version: z.literal(1).default(1),
  trust: trustPolicy.default({ authorizationServers: [] }),
  settings: z
    .object({
      timeoutMs: z.number().int().positive().optional(),
      maxBodyBytes: z.number().int().positive().optional(),
      maxRedirects: z.number().int().min(0).optional(),
      discoveryTtlSeconds: z.number().int().positive().optional(),
      /** `false`: do not read an RS's `/.well-known/oauth-protected-resource` (RFC 9728 §3); default on. */
      resourceMetadata: z.boolean().optional(),
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
  return parseConfig(text, file);
}

function parseConfig(text: string, file: string): TesseraConfig {
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

const serialize = (config: TesseraConfig) => `${JSON.stringify(tesseraConfig.parse(config), null, 2)}\n`;

/**
 * The one way to change config.json: under the cross-process lock, re-read the file, let `change`
 * edit the fresh copy in place (return `false` to leave the file alone), replace it atomically
 * (temp + fsync + rename + directory fsync). Returns the configuration as it now is, so a caller
 * also sees what another process (the CLI, the app) wrote meanwhile. A lock held past `lock.timeoutMs`
 * (default 15 s) is a `locked` error that names the configuration, not the vault.
 */
export async function updateConfig(home: string, change: (config: TesseraConfig) => boolean | void | Promise<boolean | void>, lock: { timeoutMs?: number } = {}): Promise<TesseraConfig> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const file = join(home, 'config.json');
  return updateFileLocked(file, `${file}.lock`, async (current) => {
    const config = current === undefined ? tesseraConfig.parse({}) : parseConfig(current.toString('utf8'), file);
    if ((await change(config)) === false) return { result: config };
    return { write: serialize(config), result: config };
  }, { ...lock, guards: 'the configuration (config.json)' });
}
