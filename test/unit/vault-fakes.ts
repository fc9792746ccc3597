import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SafeStorageLike } from '../../src/vault';

/**
 * A stand-in with Electron's `safeStorage` API shape (the Electron binary cannot run here). Real
 * encryption under a per-instance key, so a "different OS keyring" fails to decrypt as it would.
 */
export function fakeSafeStorage(options: { backend?: string; available?: boolean; key?: Buffer } = {}): SafeStorageLike & { key: Buffer } {
  const key = options.key ?? randomBytes(32);
  return {
    key,
    isEncryptionAvailable: () => options.available ?? true,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptString(plain: string) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([Buffer.from('v11'), iv, c.getAuthTag(), ct]);
    },
    decryptString(buf: Buffer) {
      const iv = buf.subarray(3, 15);
      const d = createDecipheriv('aes-256-gcm', key, iv);
      d.setAuthTag(buf.subarray(15, 31));
      return Buffer.concat([d.update(buf.subarray(31)), d.final()]).toString('utf8');
    },
  };
}
