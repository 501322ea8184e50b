/**
 * A local blocklist server for tests, on 127.0.0.1 only: plain list URLs whose answer a
 * test sets (body, status, headers, a lying Content-Length, a stall), and a fake APIBAN
 * (https://apiban.org/doc.html: GET /api/KEY/banned[/ID], batches of `batch` addresses,
 * 400 "no new bans" at the end, 403 for another key, 429 when asked more than `limit`
 * times). Never the real services.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListAnswer {
  status?: number;
  body: string | Buffer;
  headers?: Record<string, string>;
  /** Send the headers, then nothing (a stalled server). */
  stall?: boolean;
}

export class FeedServer {
  readonly lists = new Map<string, ListAnswer>();
  /** Every request path, in order (the APIBAN key included: tests check it never leaks elsewhere). */
  readonly requests: string[] = [];
  apiban = {
    key: 'test-key-0001',
    /** Addresses in the order APIBAN bans them; the ID of address i is String(1000 + i). */
    banned: [] as string[],
    batch: 250,
    /** Requests answered before 429 (rate limit). */
    limit: Number.POSITIVE_INFINITY,
    served: 0,
  };
  private server: Server | null = null;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    this.requests.push(path);
    const m = /^\/api\/([^/]+)\/banned(?:\/([^/]+))?$/.exec(path);
    if (m) {
      this.apibanAnswer(decodeURIComponent(m[1]!), m[2] ? decodeURIComponent(m[2]) : null, res);
      return;
    }
    const a = this.lists.get(path);
    if (!a) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(a.status ?? 200, { 'content-type': 'text/plain', ...a.headers });
    if (a.stall) {
      res.write(Buffer.isBuffer(a.body) ? a.body : a.body.slice(0, 10));
      return;
    }
    res.end(a.body);
  }

  private apibanAnswer(key: string, id: string | null, res: ServerResponse): void {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const a = this.apiban;
    if (key !== a.key) json(403, { ipaddress: 'none', ID: 'unauthorized' });
    else if (++a.served > a.limit) json(429, { ipaddress: 'rate limit exceeded', ID: 'unauthorized' });
    else {
      const from = id === null ? 0 : Number(id) - 1000 + 1;
      const batch = a.banned.slice(from, from + a.batch);
      if (batch.length === 0) json(400, { ipaddress: ['no new bans'], ID: 'none' });
      else json(200, { ipaddress: batch, ID: String(1000 + from + batch.length - 1) });
    }
  }
}
