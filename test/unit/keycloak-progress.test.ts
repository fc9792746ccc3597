/**
 * Keycloak start-up shows progress and has a configurable limit: its log lines become steps in
 * words (keycloakPhase), `--keycloak-timeout` / TESSERA_KEYCLOAK_TIMEOUT set the limit (bounded), and
 * running out of it is one line naming the last step and how to give it longer.
 */
import { describe, expect, it } from 'vitest';
import { keycloakPhase, KeycloakStartTimeout } from '../../src/demo/keycloak/server';
import { keycloakTimeoutFromEnv } from '../../src/demo/keycloak/demo';
import { parseStartArgs, startFailure, StartUsageError } from '../../src/start';

describe('Keycloak start-up progress', () => {
  it('summarises the log lines that mark a step (real 26.x lines), and ignores the rest', () => {
    expect(keycloakPhase('Updating the configuration and installing your custom providers, if any. Please wait.')).toMatch(/building its configuration/);
    expect(keycloakPhase('2026-12-07 03:00:01,123 INFO  [io.quarkus.deployment.QuarkusAugmentor] (main) Quarkus augmentation completed in 11674ms')).toMatch(/configuration built/);
    expect(keycloakPhase('2026-12-07 03:00:20,000 INFO  [org.keycloak.services] (main) KC-SERVICES0050: Initializing master realm')).toBe('creating its master realm');
    expect(keycloakPhase("2026-12-07 03:00:30,000 INFO  [org.keycloak.exportimport.util.ImportUtils] (main) Realm 'kate' imported")).toBe("Kate's realm imported");
    expect(keycloakPhase('2026-12-07 03:00:40,000 INFO  [io.quarkus] (main) Keycloak 26.5.4 on JVM (powered by Quarkus 3.27.2) started in 11.537s. Listening on: http://127.0.0.1:8080')).toMatch(/^started/);
    expect(keycloakPhase('2026-12-07 03:00:41,000 ERROR [org.keycloak] (main) Unable to start the management interface')).toBe('reported an error: [org.keycloak] (main) Unable to start the management interface');
    expect(keycloakPhase('2026-12-07 03:00:02,000 INFO  [org.hibernate] (main) HHH000204: Processing PersistenceUnitInfo')).toBeUndefined();
  });

  it('the limit: --keycloak-timeout (with --as keycloak, 30–3600 s) and TESSERA_KEYCLOAK_TIMEOUT', () => {
    expect(parseStartArgs(['--as', 'keycloak', '--keycloak-timeout', '900']).keycloakTimeoutSeconds).toBe(900);
    expect(parseStartArgs(['--as', 'keycloak']).keycloakTimeoutSeconds).toBeUndefined();
    for (const bad of ['0', '10', '99999', 'abc', '1e3']) expect(() => parseStartArgs(['--as', 'keycloak', '--keycloak-timeout', bad]), bad).toThrow(StartUsageError);
    expect(() => parseStartArgs(['--keycloak-timeout', '900'])).toThrow(/only applies with --as keycloak/);
    expect(keycloakTimeoutFromEnv({ TESSERA_KEYCLOAK_TIMEOUT: '1200' })).toBe(1_200_000);
    expect(keycloakTimeoutFromEnv({ TESSERA_KEYCLOAK_TIMEOUT: '5' })).toBeUndefined();
    expect(keycloakTimeoutFromEnv({ TESSERA_KEYCLOAK_TIMEOUT: 'soon' })).toBeUndefined();
    expect(keycloakTimeoutFromEnv({})).toBeUndefined();
  });

  it('running out of time is one line: the limit, the last step, how to give it longer', () => {
    const line = startFailure(new KeycloakStartTimeout(600_000, "importing Kate's realm", 'a\nb'), { demo: 'keycloak' });
    expect(line).toBe("Keycloak was not ready after 600 s (it was importing Kate's realm). A busy machine needs longer: start again with --keycloak-timeout 1200 (seconds), or set TESSERA_KEYCLOAK_TIMEOUT.");
  });
});
