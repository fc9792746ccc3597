/** The desktop app's start-up decisions: packaged vs development, data location, demo, DevTools, ready signal. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoOn, desktopOptions, loadDesktopSettings, saveDesktopSettings } from '../../src/main/options';

const env = { TESSERA_HOME: '/elsewhere', TESSERA_DEMO_DIR: '/x', TESSERA_PASSPHRASE: 'p', TESSERA_READY_SIGNAL: '1' };

describe('desktop options', () => {
  it('packaged: everything under userData, the environment and argv ignored, demo off, no DevTools, no ready line', () => {
    const o = desktopOptions({ isPackaged: true, env, argv: ['app', '--no-demo'], userData: '/u', settings: { demo: false } });
    expect(o).toEqual({ coreEnv: {}, home: join('/u', 'data'), demo: false, menuDemo: { memory: true }, devTools: false, readySignal: false });
    expect(demoOn(o)).toEqual({ memory: true }); // no LMDB in the packaged app
  });
  it('packaged after "Try the demo": the demo runs in memory (LMDB does not ship in the desktop app)', () => {
    expect(desktopOptions({ isPackaged: true, env, argv: [], userData: '/u', settings: { demo: true } }).demo).toEqual({ memory: true });
  });
  it('development (npm start): env honoured, demo by default unless --no-demo, DevTools, ready line when asked', () => {
    const dev = desktopOptions({ isPackaged: false, env, argv: [], userData: '/u', settings: { demo: false } });
    expect(dev).toMatchObject({ coreEnv: env, demo: undefined, devTools: true, readySignal: true });
    expect(dev.home).toBeUndefined();
    expect(desktopOptions({ isPackaged: false, env: {}, argv: ['x', '--no-demo'], userData: '/u', settings: { demo: true } })).toMatchObject({ demo: false, readySignal: false });
  });
  it("development with Keycloak (npm start passes --as keycloak to main): the core's Keycloak variant; packaged ignores it", () => {
    expect(desktopOptions({ isPackaged: false, env: {}, argv: ['x', 'main.cjs', '--as', 'keycloak'], userData: '/u', settings: { demo: false } }).demo).toEqual({ keycloak: {} });
    expect(desktopOptions({ isPackaged: false, env: {}, argv: ['x', '--as=keycloak'], userData: '/u', settings: { demo: false } }).demo).toEqual({ keycloak: {} });
    expect(desktopOptions({ isPackaged: true, env: {}, argv: ['x', '--as', 'keycloak'], userData: '/u', settings: { demo: false } }).demo).toBe(false);
  });
  it('desktop.json: missing or broken → demo off; saved choice read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-desktop-'));
    expect(await loadDesktopSettings(dir)).toEqual({ demo: false });
    writeFileSync(join(dir, 'desktop.json'), '{ not json');
    expect(await loadDesktopSettings(dir)).toEqual({ demo: false });
    writeFileSync(join(dir, 'desktop.json'), '{"demo":"yes"}');
    expect(await loadDesktopSettings(dir)).toEqual({ demo: false });
    await saveDesktopSettings(dir, { demo: true });
    expect(await loadDesktopSettings(dir)).toEqual({ demo: true });
  });
});
