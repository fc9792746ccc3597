/**
 * `npm start`'s command line: `--as keycloak` opens Tessera on a real Keycloak, `--as demo` (the
 * default) on the built-in demo; an unknown value or option is refused with a message saying why.
 * What went wrong while starting is one line that says what to do.
 */
import { describe, expect, it } from 'vitest';
import { electronWindowTimeoutMs, parseStartArgs, startFailure, START_USAGE, StartUsageError } from '../../src/start';
import { KeycloakUnavailable } from '../../src/demo/keycloak/dist';

describe("npm start's options", () => {
  it('accepts --as keycloak and --as demo; the built-in demo is the default', () => {
    expect(parseStartArgs(['--as', 'keycloak'])).toEqual({ demo: 'keycloak', browser: false, open: true, help: false });
    expect(parseStartArgs(['--as=keycloak', '--browser', '--port', '5173', '--no-open']).demo).toBe('keycloak');
    expect(parseStartArgs(['--as', 'keycloak', '--port', '5173'])).toMatchObject({ port: 5173 });
    expect(parseStartArgs(['--as', 'demo']).demo).toBe('demo');
    expect(parseStartArgs([]).demo).toBe('demo');
  });

  it('--no-demo (or TESSERA_NO_DEMO=1) means no demo; an explicit --as wins over the variable', () => {
    expect(parseStartArgs(['--no-demo']).demo).toBe('none');
    expect(parseStartArgs([], { TESSERA_NO_DEMO: '1' }).demo).toBe('none');
    expect(parseStartArgs(['--as', 'keycloak'], { TESSERA_NO_DEMO: '1' }).demo).toBe('keycloak');
  });

  it('refuses an unknown --as value, --as keycloak with --no-demo, a bad port and unknown options, with a clear message', () => {
    expect(() => parseStartArgs(['--as', 'keycloack'])).toThrow(new StartUsageError('--as must be demo or keycloak, not "keycloack"'));
    expect(() => parseStartArgs(['--as'])).toThrow(StartUsageError);
    expect(() => parseStartArgs(['--as', 'keycloak', '--no-demo'])).toThrow(/cannot be combined with --no-demo/);
    expect(() => parseStartArgs(['--port', 'eighty'])).toThrow('--port must be a port number (0-65535), not "eighty"');
    expect(() => parseStartArgs(['--keycloak'])).toThrow(/Unknown option '--keycloak'/);
    expect(START_USAGE).toContain('--as demo|keycloak');
  });
});

describe("npm start's failures, in one line", () => {
  const inUse = (port: number) => Object.assign(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`), { code: 'EADDRINUSE', port });

  it('a port in use: which one, and what to do (the --port asked for, the Keycloak demo RS, any other); a port not allowed', () => {
    expect(startFailure(inUse(5173), { demo: 'demo', port: 5173 })).toBe('Port 5173 is in use by another program. Choose another with --port, or leave --port out to use any free port.');
    expect(startFailure(inUse(4405), { demo: 'keycloak' })).toBe("Port 4405 (the Keycloak demo's health records) is in use. Is Tessera already running with Keycloak? Stop it, or free the port.");
    expect(startFailure(inUse(4401), { demo: 'demo' })).toBe('Port 4401 is in use by another program. Free it and start again.');
    const denied = Object.assign(new Error('listen EACCES: permission denied 127.0.0.1:80'), { code: 'EACCES', port: 80 });
    expect(startFailure(denied, { demo: 'demo', port: 80 })).toBe('Tessera may not listen on port 80 (ports below 1024 need special rights). Choose another with --port.');
  });

  it('Keycloak that cannot run here (no JDK): why, and what else works', () => {
    expect(startFailure(new KeycloakUnavailable('no JDK found (install OpenJDK 21 or 25, or set KEYCLOAK_JAVA_HOME)'), { demo: 'keycloak' }))
      .toBe('Keycloak cannot run here: no JDK found (install OpenJDK 21 or 25, or set KEYCLOAK_JAVA_HOME). Start without --as keycloak for the built-in demo, or set TESSERA_KEYCLOAK_URL to a running Keycloak.');
  });

  it('a Keycloak that exited early: the first line and the last line of its output, no stack, no newline', () => {
    const line = startFailure(new Error('Keycloak exited (code 1) before it was ready:\n2026 INFO starting\n2026 ERROR Port 4404 already in use'), { demo: 'keycloak' });
    expect(line).toBe('Keycloak exited (code 1) before it was ready (last output: 2026 ERROR Port 4404 already in use)');
    expect(startFailure('odd', { demo: 'demo' })).toBe('odd');
  });
});

describe("npm start's wait for the Electron window", () => {
  it('waits long enough for Keycloak, which main starts before the window (a SIGKILLed Electron would leave its Keycloak behind)', () => {
    expect(electronWindowTimeoutMs('demo')).toBe(60_000);
    expect(electronWindowTimeoutMs('none')).toBe(60_000);
    expect(electronWindowTimeoutMs('keycloak')).toBeGreaterThanOrEqual(300_000);
  });
});
