/** The system browser for CLI commands (BROWSER honoured, the address always printed). */
import { systemOpener } from '@tessera/uma/node';
import { type Opener } from '@tessera/uma';
import type { CliIo } from './command';

/** Tests replace the system browser with their own (e.g. a Chromium page). */
let openerOverride: Opener | undefined;
export function setCliOpener(opener: Opener | undefined): void { openerOverride = opener; }

export function cliOpener(io: CliIo): Opener {
  return openerOverride ?? systemOpener({ env: io.env, print: (line) => io.stderr(`tessera: ${line}\n`) });
}
