/**
 * Salted fingerprints: with the install's key a fingerprint is an HMAC (a weak secret cannot be
 * confirmed offline from it); the key is made once and kept in the vault, so reopening the vault
 * (the app, the CLI) gives the same fingerprints, and another install gives different ones.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useInstallFingerprintKey } from '../../src/app/fingerprint-key';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { Redactor, fingerprint, setFingerprintKey } from '../../packages/uma/src/kernel/redact';
import { openVault } from '../../src/vault';

afterEach(() => setFingerprintKey(undefined));
const bare = (s: string) => `fp:${createHash('sha256').update(s).digest('base64url').slice(0, 10)}`;

describe('salted fingerprints', () => {
  it('are an HMAC with the install key, not a bare SHA-256 prefix, and differ between installs', async () => {
    expect(fingerprint('hunter2')).toBe(bare('hunter2'));
    await useInstallFingerprintKey(new MemoryStore());
    const a = fingerprint('hunter2');
    expect(a).toMatch(/^fp:[A-Za-z0-9_-]{10}$/);
    expect(a).not.toBe(bare('hunter2'));
    expect(new Redactor().body('client_secret=hunter2', 'application/x-www-form-urlencoded')).toBe(`client_secret=[redacted ${a}]`);
    await useInstallFingerprintKey(new MemoryStore());
    expect(fingerprint('hunter2')).not.toBe(a);
  });

  it('keeps the key in the vault: reopening gives the same fingerprints', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-fpkey-'));
    try {
      const open = () => openVault({ home, passphrase: 'fingerprint-key-test', backends: ['passphrase'] });
      const first = await open();
      await useInstallFingerprintKey(first);
      const fp = fingerprint('s3cret-value');
      await first.close();
      setFingerprintKey(undefined);
      const again = await open();
      await useInstallFingerprintKey(again);
      expect(fingerprint('s3cret-value')).toBe(fp);
      expect((await again.list('settings')).find((m) => m.key === 'fingerprint-key')?.label).toMatch(/fingerprint key/);
      // The CLI only loads it: a fresh home gets no record, and unsalted fingerprints.
      setFingerprintKey(undefined);
      const fresh = new MemoryStore();
      await useInstallFingerprintKey(fresh, { create: false });
      expect(await fresh.list()).toEqual([]);
      expect(fingerprint('s3cret-value')).toBe(bare('s3cret-value'));
      await useInstallFingerprintKey(again, { create: false });
      expect(fingerprint('s3cret-value')).toBe(fp);
      await again.close();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
