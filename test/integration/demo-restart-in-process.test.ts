/**
 * The demo stopped and started again in one process on the same ports (the desktop's "Stop the
 * demo" then "Try the demo"): the RS's first request to the new AS may ride a keep-alive socket of
 * the old one ("other side closed"); it is retried, so the demo starts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startDemo } from '../../src/demo';
import { freePort } from '../fixtures/ports';

it('starts again on the same ports and data directory in the same process', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-demo-again-'));
  const ports = { idp: await freePort(), as: await freePort(), rs: await freePort() };
  try {
    const first = await startDemo({ dataDir: dir, ports });
    await (await fetch(`${first.config.rs.url}/`)).text();
    await first.close();
    const second = await startDemo({ dataDir: dir, ports });
    expect(second.config.as.issuer).toBe(first.config.as.issuer);
    expect(second.config.rs.resources.map((r) => r.id)).toEqual(first.config.rs.resources.map((r) => r.id));
    await second.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
