/**
 * METRICS_LISTEN: a listener of its own that serves GET /metrics and nothing else, for a
 * Prometheus that must not reach the web UI (another interface, another firewall zone).
 * With METRICS_TOKEN set it wants `Authorization: Bearer TOKEN` (constant-time compare);
 * without one the config only allows a loopback address (core/config/keys-ops.ts). Plain
 * node:http, bounded: no body is read, headers within 10 s, one answer within 30 s.
 */
import { createServer, type Server } from 'node:http';
import { bearerMatches } from '../platform/bearer.js';
import type { Logger } from '../ports/logger.js';
import { EXPOSITION_TYPE } from './registry.js';

export interface MetricsListenerOptions {
  host: string;
  port: number;
  /** The bearer token in force (read per request: a reload may change it); null = none needed. */
  token(): string | null;
  render(): Promise<string>;
  log: Logger;
}

export class MetricsListener {
  private server: Server | null = null;

  constructor(private readonly o: MetricsListenerOptions) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const send = (status: number, text: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
        res.end(req.method === 'HEAD' ? undefined : text);
      };
      if (path !== '/metrics') return send(404, 'not found: this listener serves /metrics only\n');
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(405, 'GET /metrics\n', { allow: 'GET, HEAD' });
      const token = this.o.token();
      if (token !== null && !bearerMatches(req.headers.authorization, token)) {
        return send(401, 'send Authorization: Bearer METRICS_TOKEN\n', { 'www-authenticate': 'Bearer' });
      }
      this.o.render().then(
        (text) => send(200, text, { 'content-type': EXPOSITION_TYPE, 'cache-control': 'no-store' }),
        (e) => {
          this.o.log.error({ err: e }, 'metrics could not be collected');
          send(500, 'metrics could not be collected (see the sipprotd log)\n');
        },
      );
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.maxHeadersCount = 50;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.o.host, port: this.o.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** The port actually bound (METRICS_LISTEN with port 0 in tests). */
  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
