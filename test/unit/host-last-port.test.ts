/**
 * Browser mode's address is stable across launches: the host binds the port of the last launch
 * (host.json under the Tessera home, validated) when it is free, and a free one when it is taken.
 */
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST_FILE, loadLastPort, startHostOnLastPort } from '../../src/host/last-port';

const service = { call: async () => ({}), subscribe: () => () => {} } as never;
const homes: string[] = [];
afterEach(async () => { for (const h of homes.splice(0)) await rm(h, { recursive: true, force: true }); });
const home = async () => { const h = await mkdtemp(join(tmpdir(), 'tessera-port-')); homes.push(h); return h; };
const portOf = (origin: string) => Number(new URL(origin).port);

describe('the browser-mode port', () => {
  it('is the same on the next launch when it is free', async () => {
    const h = await home();
    const first = await startHostOnLastPort({ service, staticDir: h, home: h });
    const port = portOf(first.origin);
    await first.close();
    expect(JSON.parse(await readFile(join(h, HOST_FILE), 'utf8'))).toEqual({ port, control: expect.stringMatching(/^[\w-]{43}$/) });
    const second = await startHostOnLastPort({ service, staticDir: h, home: h });
    expect(portOf(second.origin)).toBe(port);
    await second.close();
  });

  it('falls back to a free port when the last one is taken, and remembers the new one', async () => {
    const h = await home();
    const first = await startHostOnLastPort({ service, staticDir: h, home: h });
    const port = portOf(first.origin);
    await first.close();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
    try {
      const second = await startHostOnLastPort({ service, staticDir: h, home: h });
      expect(portOf(second.origin)).not.toBe(port);
      expect(await loadLastPort(h)).toBe(portOf(second.origin));
      await second.close();
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
  });

  it('a damaged or foreign host.json is ignored', async () => {
    const h = await home();
    for (const text of ['not json', '{"port":"80"}', '{"port":80}', '{"port":4000,"extra":1}']) {
      await writeFile(join(h, HOST_FILE), text);
      expect(await loadLastPort(h), text).toBeUndefined();
    }
    const host = await startHostOnLastPort({ service, staticDir: h, home: h });
    expect(portOf(host.origin)).toBeGreaterThan(0);
    await host.close();
  });
});
