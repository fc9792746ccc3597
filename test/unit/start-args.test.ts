/**
 * `npm start`'s command line: `--as keycloak` opens Tessera on a real Keycloak, `--as demo` (the
 * default) on the built-in demo; an unknown value or option is refused with a message saying why.
 */
import { describe, expect, it } from 'vitest';
import { parseStartArgs, START_USAGE, StartUsageError } from '../../src/start';

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
