/**
 * Notification recipients, test mail, geo-IP database, the daily report and reload: the
 * routes that hand straight over to a daemon service.
 */
import type { FastifyInstance } from 'fastify';
import { SipprotError } from '../core/errors.js';
import type { Store } from '../ports/store.js';
import { bad } from './admin-routes.js';
import type { GeoStatus } from './types.js';

export interface OpsDeps {
  store: Store;
  geoip: { status(): Promise<GeoStatus>; update(): Promise<GeoStatus> };
  report(day: string): Promise<{ text: string; html: string; model: unknown }>;
  notifyTest(to?: string): Promise<{ ok: boolean; message: string }>;
  reload(): Promise<{ reloaded: boolean; message: string }>;
  clock(): number;
}

/** YYYY-MM-DD of the host's local day containing `t`. */
export function localDay(t: number): string {
  const d = new Date(t * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function checkDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
    throw bad(`day must be a date YYYY-MM-DD, not '${day}'`);
  }
  return day;
}

/** The HTML report uses inline style attributes (for mail clients) and no script at all. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

export function opsRoutes(deps: OpsDeps) {
  const { store } = deps;
  return async (app: FastifyInstance) => {
    app.get('/api/recipients', () => store.listRecipients());
    app.post<{ Body: { email?: unknown; name?: unknown } }>('/api/recipients', async (req, reply) => {
      const { email, name } = req.body ?? {};
      if (typeof email !== 'string' || email.trim() === '') throw bad('body.email must be an e-mail address');
      if (name !== undefined && name !== null && typeof name !== 'string')
        throw bad('body.name must be text');
      const r = await store.addRecipient(email, typeof name === 'string' && name.trim() ? name : null);
      return reply.status(201).send(r);
    });
    app.delete<{ Params: { email: string } }>('/api/recipients/:email', async (req) => {
      if (!(await store.removeRecipient(req.params.email))) {
        throw new SipprotError('SP_ERR_NOT_FOUND', `${req.params.email} is not a notification recipient`);
      }
      return { removed: req.params.email };
    });
    app.post<{ Body: { to?: unknown } | undefined }>('/api/notify/test', async (req) => {
      const to = req.body?.to;
      if (to !== undefined && typeof to !== 'string') throw bad('body.to must be an e-mail address');
      return deps.notifyTest(to || undefined);
    });

    app.get('/api/geoip', () => deps.geoip.status());
    app.post('/api/geoip/update', () => deps.geoip.update());

    app.get<{ Querystring: { day?: string; format?: string } }>('/api/report', async (req, reply) => {
      const day = checkDay(req.query.day ?? localDay(deps.clock()));
      const format = req.query.format ?? 'json';
      if (!['json', 'text', 'html'].includes(format)) throw bad('format must be json, text or html');
      const r = await deps.report(day);
      if (format === 'text') return reply.type('text/plain; charset=utf-8').send(r.text);
      if (format === 'html') {
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', REPORT_CSP)
          .send(r.html);
      }
      return { day, text: r.text, model: r.model };
    });

    app.post('/api/reload', async (req) => {
      const r = await deps.reload();
      req.log.info({ reloaded: r.reloaded }, 'reload requested over the API');
      return r;
    });
  };
}
