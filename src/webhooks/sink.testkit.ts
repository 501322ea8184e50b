/**
 * A real HTTP receiver on loopback for the webhook tests: records every request (method,
 * path, headers, body) and answers as the test scripts it (a status per request, headers,
 * a delay, or silence).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer after this many ms; Infinity never answers. */
  delayMs?: number;
}

export class Sink {
  readonly received: Received[] = [];
  /** Answers in order; when empty, 200. */
  readonly script: Answer[] = [];
  private server: Server | null = null;

  static async start(): Promise<Sink> {
    const s = new Sink();
    await s.listen();
    return s;
  }

  private listen(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const a = this.script.shift() ?? { status: 200, body: 'ok' };
        if (a.delayMs === Number.POSITIVE_INFINITY) return;
        setTimeout(() => {
          res.writeHead(a.status, { 'content-type': 'text/plain', ...(a.headers ?? {}) });
          res.end(a.body ?? '');
        }, a.delayMs ?? 0);
      });
    });
    this.server = server;
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  }

  /** `http://127.0.0.1:PORT` + path. */
  url(path = '/hook'): string {
    const a = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${a.port}${path}`;
  }

  json(i: number): Record<string, unknown> {
    return JSON.parse(this.received[i]!.body) as Record<string, unknown>;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
