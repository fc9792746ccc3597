/**
 * `npm run keycloak:fetch` — resolves the pinned Keycloak distribution with Maven, verifies and
 * unpacks it into .cache/keycloak (reused when present), and prints where it is and which JDK runs it.
 */
import { ensureKeycloak, KeycloakUnavailable } from './dist';

try {
  const dist = await ensureKeycloak({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`Keycloak ${dist.version} (${dist.source}): ${dist.home}\nJDK ${dist.jdk.major}: ${dist.jdk.home}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof KeycloakUnavailable ? 'Keycloak is not available' : 'keycloak:fetch failed'}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
