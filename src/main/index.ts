/**
 * The Electron entry (bundled to dist/electron/main.cjs): runs the main process and turns any
 * start-up error into a dialog and exit code 1 — never a window-less process holding the
 * single-instance lock.
 */
import { failStartup, start } from './app';

start().catch(failStartup);
