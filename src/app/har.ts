/**
 * HAR 1.2 export of flows (http://www.softwareishard.com/blog/har-12-spec/) for HTTP tools. Built
 * from the redacted transcript: headers and bodies already have tokens replaced by fingerprints.
 */
import type { FlowView } from './api';

export function toHar(flows: FlowView[]) {
  const entries = flows.flatMap((flow) => flow.steps.map((s) => {
    const url = new URL(s.url);
    const headers = (h: Record<string, string>) => Object.entries(h).map(([name, value]) => ({ name, value }));
    return {
      pageref: flow.flowId,
      startedDateTime: s.time,
      time: s.duration,
      request: {
        method: s.method, url: s.url, httpVersion: 'HTTP/1.1', cookies: [], headers: headers(s.request.headers),
        queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
        ...(s.request.body !== undefined ? { postData: { mimeType: s.request.headers['content-type'] ?? 'application/octet-stream', text: s.request.body } } : {}),
        headersSize: -1, bodySize: s.request.body?.length ?? 0,
      },
      response: {
        status: s.status ?? 0, statusText: '', httpVersion: 'HTTP/1.1', cookies: [], headers: headers(s.response?.headers ?? {}),
        content: { size: s.response?.bodySize ?? 0, mimeType: s.response?.headers['content-type'] ?? '', ...(s.response?.body !== undefined ? { text: s.response.body } : {}) },
        redirectURL: s.response?.headers.location ?? '', headersSize: -1, bodySize: s.response?.bodySize ?? -1,
      },
      cache: {},
      timings: { send: 0, wait: s.duration, receive: 0 },
      comment: [s.kind, s.outcome, s.note, s.error?.message].filter(Boolean).join(' · '),
      // What HAR cannot say, so an imported HAR draws the same diagram (src/app/trace-import.ts).
      _tessera: { lane: s.lane, kind: s.kind, ...(s.outcome ? { outcome: s.outcome } : {}), ...(s.note ? { note: s.note } : {}), ...(s.challenge ? { challenge: s.challenge } : {}), ...(s.tokens ? { tokens: s.tokens } : {}), ...(s.dpop ? { dpop: s.dpop } : {}), ...(s.error ? { error: s.error } : {}) },
    };
  }));
  return {
    log: {
      version: '1.2',
      creator: { name: 'Tessera', version: '0.1.0', comment: 'Redacted: tokens, tickets and secrets appear as fingerprints.' },
      pages: flows.map((f) => ({ id: f.flowId, startedDateTime: f.startedAt, title: f.title ?? f.url, pageTimings: {} })),
      entries,
    },
  };
}
