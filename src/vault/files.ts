/**
 * File-system primitives for the vault: private directory and files, crash-safe atomic replace, and the
 * locked read-modify-write built on the cross-process lock of `./lock`. The one copy of each: the
 * app's config.json, the desktop settings and host.json use them too.
 */
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pidAlive, withFileLock, type FileLockOptions } from './lock';

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
    if (!pid || pid === process.pid || pidAlive(pid)) continue;
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

/**
 * Moves a file (or whatever is in its place: a directory, a symlink) aside instead of deleting it:
 * `history.sealed.json` becomes `history.<label>-<time>.json` in the same directory. Returns the new
 * path, or undefined when there was nothing there. Never overwrites: a name already taken gets a suffix.
 */
export async function keepAside(file: string, label: string, now: Date = new Date()): Promise<string | undefined> {
  try { await lstat(file); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const dir = dirname(file);
  const base = basename(file).split('.')[0] ?? 'file';
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  for (let i = 0; i < 100; i++) {
    const target = join(dir, `${base}.${label}-${stamp}${i ? `-${i}` : ''}.json`);
    const taken = await lstat(target).then(() => true, () => false);
    if (taken) continue;
    await rename(file, target);
    return target;
  }
  throw new Error(`Could not find a free name to keep ${file} aside`);
}

/**
 * What is at `file`: nothing, a regular file's bytes, or something that cannot be a Tessera file
 * (a directory, a symlink — never followed — or unreadable).
 */
export async function readRegularFile(file: string): Promise<{ kind: 'none' } | { kind: 'file'; bytes: Buffer } | { kind: 'other'; reason: string }> {
  let info;
  try { info = await lstat(file); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'other', reason: (err as Error).message };
  }
  if (info.isSymbolicLink()) return { kind: 'other', reason: 'a symbolic link, not a file' };
  if (!info.isFile()) return { kind: 'other', reason: info.isDirectory() ? 'a directory, not a file' : 'not a regular file' };
  try { return { kind: 'file', bytes: await readFile(file) }; } catch (err) {
    return { kind: 'other', reason: (err as Error).message };
  }
}

export { withFileLock, type FileLockOptions, type LockEvent } from './lock';

/**
 * The one locked read-modify-write of a file: take the cross-process lock, re-read `file` under it,
 * let `fn` decide, replace the file atomically (temp + fsync + rename + directory fsync) if `fn`
 * returned `write`, release. Every writer of the vault goes through this, so no update is computed
 * from a state read outside the lock.
 */
export async function updateFileLocked<T>(
  file: string,
  lockPath: string,
  fn: (current: Buffer | undefined) => Promise<{ write?: string | Buffer; result: T }> | { write?: string | Buffer; result: T },
  options?: number | FileLockOptions,
): Promise<T> {
  return withFileLock(
    lockPath,
    async () => {
      const { write, result } = await fn(await readIfExists(file));
      if (write !== undefined) await writeFileAtomic(file, write);
      return result;
    },
    options,
  );
}
