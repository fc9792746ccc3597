/**
 * File-system primitives for the vault: private directory and files, crash-safe atomic replace and a
 * cross-process lock without native modules.
 */
import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { VaultError } from './errors';

/** Creates `dir` 0700 (and tightens it if it exists with wider permissions). */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') {
    const s = await stat(dir);
    if ((s.mode & 0o077) !== 0) await chmod(dir, 0o700);
  }
}

/**
 * Replaces `file` atomically: write a 0600 temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. A crash at any point leaves either the old or the new file.
 */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const dh = await open(dir, constants.O_RDONLY);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Removes temp files that a writer killed between "write temp" and "rename" left behind
 * (`.<file>.<pid>.<random>.tmp`), when their process is gone. They hold ciphertext only, but they
 * should not pile up.
 */
export async function removeStaleTempFiles(dir: string, file: string): Promise<number> {
  const pattern = new RegExp(`^\\.${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.[0-9a-f]+\\.tmp$`);
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    await unlink(join(dir, name)).then(() => removed++, () => undefined);
  }
  return removed;
}

export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Cross-process exclusive lock: a lock file created with O_EXCL holding `pid`. A lock whose process
 * is gone (killed mid-write) is stale and taken over. Same-process callers must serialize themselves
 * first (see the vault's in-process queue); this lock only arbitrates between processes.
 */
export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    try {
      const fh = await open(lockFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt((await readIfExists(lockFile))?.toString('utf8') ?? '', 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && !alive(holder)) {
        // Stale: its owner died. Remove only if it is still the same stale file.
        const again = Number.parseInt((await readIfExists(lockFile))?.toString('utf8') ?? '', 10);
        if (again === holder) await unlink(lockFile).catch(() => undefined);
        continue;
      }
      if (Number.isNaN(holder)) {
        // Being written right now, or left empty by a crash between create and write: give it a moment.
        const s = await stat(lockFile).catch(() => undefined);
        if (s && Date.now() - s.mtimeMs > 5_000) await unlink(lockFile).catch(() => undefined);
      }
      if (Date.now() > deadline) {
        throw new VaultError(
          'locked',
          'The vault is locked by another process',
          `Another Tessera process (pid ${Number.isNaN(holder) ? '?' : holder}) is holding the vault lock. Close it, or delete the lock file if that process no longer exists.`,
          lockFile,
        );
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lockFile).catch(() => undefined);
  }
}
