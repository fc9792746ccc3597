/**
 * The faces (app, CLI, host, Electron main, probe, renderer) neither make outbound requests of their
 * own nor re-implement the loopback rule: every request goes through packages/uma/src/http (bounds, transcript,
 * redaction, no credential over plain http to another machine), and "is this machine" is
 * packages/uma/src/kernel/urls.ts. The scan reads the sources as text (comments stripped); the allow-list names
 * each legitimate exception with its reason, and an entry that no longer matches fails too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const FACES = ['src/app', 'src/cli', 'src/host', 'src/main', 'src/preload', 'src/probe', 'src/start.ts', 'renderer'];

/** Exceptions to the outbound rule, by file, each with why it is not an engine request. */
const OUTBOUND_ALLOWED: Record<string, string> = {
  'src/app/compose.ts': 'asks whether the demo already runs on the default loopback ports (a GET without credentials, before any engine exists)',
  'src/probe/context.ts': "the underlying fetch of the probe's guarded client, which packages/uma/src/http's HttpClient wraps (so the probe's requests still go through packages/uma/src/http)",
  'src/app/server-events.ts': "follows the demo servers' own event streams (loopback, the demo's secret, no token in them): a long-lived SSE stream the bounded client is not made for, and no exchange of a flow",
  'src/host/last-port.ts': 'asks the Tessera already running on this machine (127.0.0.1, its control secret) for a new tab; not a request to an AS, RS or provider',
  'renderer/api-client.ts': "browser mode: the UI calls its own host's API on the same origin; not a request to an AS, RS or provider",
};

/** Exceptions to the loopback rule, by file, with the reason. */
const LOOPBACK_ALLOWED: Record<string, string> = {};

function files(path: string): string[] {
  if (/\.(ts|tsx)$/.test(path)) return [path];
  return readdirSync(join(ROOT, path), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(path, e.name)) : /\.(ts|tsx)$/.test(e.name) ? [join(path, e.name)] : []));
}

/** Source without comments (string contents kept: a host name is a string). */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Global fetch calls and Node/undici clients: requests that bypass packages/uma/src/http. */
export function outboundCalls(source: string): string[] {
  const text = code(source);
  const found: string[] = [];
  for (const m of text.matchAll(/(^|[^.\w$])(fetch|globalThis\.fetch|window\.fetch)\s*\(/gm)) found.push(m[0].trim());
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"](node:)?https?['"]/g)) if (/\b(request|get)\b/.test(m[1]!)) found.push(m[0]);
  for (const m of text.matchAll(/import\s+\*\s+as\s+(\w+)\s+from\s*['"](node:)?https?['"]/g)) if (new RegExp(`\\b${m[1]}\\.(request|get)\\s*\\(`).test(text)) found.push(m[0]);
  for (const m of text.matchAll(/from\s*['"](undici|node-fetch|axios|got|ky)['"]/g)) found.push(m[0]);
  return found;
}

/** A loopback host literal compared on the same line, a loopback regex, or an own `isLoopback…` function. */
export function loopbackCopies(source: string): string[] {
  const found: string[] = [];
  for (const line of code(source).split('\n')) {
    const literal = /['"`](localhost|127\.0\.0\.1|\[::1\]|::1)['"`]|['"`]\.localhost['"`]/.test(line);
    const compared = /===|!==|\.includes\(|\.has\(|\.endsWith\(|\.startsWith\(|\.test\(/.test(line);
    if ((literal && compared) || /\/\^?127(\\\.|\()/.test(line) || /function\s+is\w*(Loopback|Localhost)\w*\s*\(/i.test(line)) found.push(line.trim());
  }
  return found;
}

const scanned = FACES.flatMap(files).map((file) => ({ file, source: readFileSync(join(ROOT, file), 'utf8') }));

describe('faces go through the engine', () => {
  it('no face makes an outbound request of its own (only packages/uma/src/http does)', () => {
    const offenders = scanned.filter(({ file }) => !OUTBOUND_ALLOWED[file]).flatMap(({ file, source }) => outboundCalls(source).map((c) => `${file}: ${c}`));
    expect(offenders, 'route the request through packages/uma/src/http (HttpClient), or add the file to OUTBOUND_ALLOWED with a reason').toEqual([]);
  });

  it('no face re-implements the loopback rule (packages/uma/src/kernel/urls.ts has it)', () => {
    const offenders = scanned.filter(({ file }) => !LOOPBACK_ALLOWED[file]).flatMap(({ file, source }) => loopbackCopies(source).map((c) => `${file}: ${c}`));
    expect(offenders, 'use isLoopbackHost / isLoopbackUrl / isSecureOrLoopback from packages/uma/src/kernel/urls.ts').toEqual([]);
  });

  it('every allow-list entry still matches something (no stale exceptions)', () => {
    const bySource = new Map(scanned.map((s) => [s.file, s.source]));
    expect(Object.keys(OUTBOUND_ALLOWED).filter((f) => outboundCalls(bySource.get(f) ?? '').length === 0)).toEqual([]);
    expect(Object.keys(LOOPBACK_ALLOWED).filter((f) => loopbackCopies(bySource.get(f) ?? '').length === 0)).toEqual([]);
  });

  it('finds planted violations (the checks can fail)', () => {
    expect(outboundCalls("const r = await fetch('https://as.example/token', { method: 'POST' });")).toHaveLength(1);
    expect(outboundCalls("import { request } from 'node:https';")).toHaveLength(1);
    expect(outboundCalls("import * as http from 'node:http';\nhttp.get('http://x');")).toHaveLength(1);
    expect(outboundCalls("import { createServer } from 'node:http';\nthis.agent.fetch(url); // fetch(x)")).toEqual([]);
    expect(loopbackCopies("if (['127.0.0.1', 'localhost'].includes(u.hostname)) ok();")).toHaveLength(1);
    expect(loopbackCopies('const lb = /^127(\\.\\d{1,3}){3}$/.test(host);')).toHaveLength(1);
    expect(loopbackCopies("export function isLoopback(url: string) { return false; }")).toHaveLength(1);
    expect(loopbackCopies("server.listen(port, '127.0.0.1');")).toEqual([]);
  });
});
