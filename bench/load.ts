/**
 * The load generator shared by the AS benchmarks (demo AS, Keycloak): lean keep-alive HTTP/1.1
 * connections and a closed loop of N clients, each sending one UMA grant at a time with a fresh
 * permission ticket.
 */
import { connect, type Socket } from 'node:net';

/**
 * A lean HTTP/1.1 keep-alive connection (one request at a time). Node's http client costs more CPU
 * per request than the server under test, and on two cores the load generator must stay cheap or it
 * measures itself.
 */
export class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: ((r: { status: number; body: string }) => void) | undefined;
  readonly ready: Promise<void>;
  constructor(port: number) {
    this.#socket = connect(port, '127.0.0.1');
    this.#socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => { this.#socket.once('connect', resolve); this.#socket.once('error', reject); });
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.#buffer.subarray(0, end).toString('latin1');
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.#buffer.length < end + 4 + length) return;
      const body = this.#buffer.subarray(end + 4, end + 4 + length).toString();
      this.#buffer = this.#buffer.subarray(end + 4 + length);
      const done = this.#waiting;
      this.#waiting = undefined;
      done?.({ status: Number(head.slice(9, 12)), body });
    });
  }
  send(method: string, path: string, headers: string, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }
  close() { this.#socket.destroy(); }
}

export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

export type LoadRow = Record<string, string | number> & { phase: string; requests: number; 'per second': number; 'p50 ms': number; 'p99 ms': number; errors: number };

/**
 * Closed loop: every connection sends its next grant as soon as the previous one is answered, for
 * `seconds` or until the pre-minted tickets run out (one ticket per grant, never reused).
 */
export async function closedLoop(label: string, connections: Connection[], seconds: number, tickets: string[], grant: (c: Connection, ticket: string) => Promise<{ status: number }>): Promise<LoadRow> {
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(connections.map(async (c) => {
    while (Date.now() < end) {
      const ticket = tickets.pop();
      if (!ticket) break;
      const t0 = performance.now();
      try {
        if ((await grant(c, ticket)).status !== 200) errors++;
      } catch { errors++; }
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { phase: label, requests: latencies.length, 'per second': Math.round(latencies.length / elapsed), 'p50 ms': +pct(latencies, 0.5).toFixed(1), 'p99 ms': +pct(latencies, 0.99).toFixed(1), errors };
}
