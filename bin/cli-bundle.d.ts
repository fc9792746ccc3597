// Types of bin/cli-bundle.js for the TypeScript that imports it (tests, bench).
import type { BuildOptions } from 'esbuild';

export const ROOT: string;
export function cliBuildOptions(root: string, outdir: string): BuildOptions;
export function buildCli(root?: string): Promise<string>;
export function cliBundleIsStale(root?: string): boolean;
export function ensureCliBundle(root?: string): Promise<string>;
