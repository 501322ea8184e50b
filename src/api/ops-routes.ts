/**
 * Notification recipients, test mail, geo-IP database, the daily report and reload: the
 * routes that hand straight over to a daemon service.
 */
import type { FastifyInstance } from 'fastify';
import { SipprotError } from '../core/errors.js';
import type { Store } from '../ports/store.js';
import { bad } from './admin-routes.js';
import type { WireTypes } from './validation.js';
import { answers } from './wire/errors.js';
import {
  GeoStatus,
  NotifyTestBody,
  NotifyTestResult,
  RecipientBody,
  RecipientRemoved,
  Reloaded,
  ReportJson,
  ReportQuery,
} from './wire/ops.js';
import { Recipient } from './wire/records.js';
import { arrayOf, str } from './wire/schema.js';

interface OpsDeps {
  store: Store;
  geoip: { status(): Promise<GeoStatus>; update(): Promise<GeoStatus> };
  report(day: string): Promise<{ text: string; html: string; model: unknown }>;
  notifyTest(to?: string): Promise<{ ok: boolean; message: string }>;
  reload(): Promise<{ reloaded: boolean; message: string }>;
  clock(): number;
}

/** YYYY-MM-DD of the host's local day containing `t`. */
function localDay(t: number): string {
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
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    const summary = (text: string) => ({ summary: text });
    app.get(
      '/api/recipients',
      { schema: { ...summary('notification recipients'), response: answers({ 200: arrayOf(Recipient) }) } },
      () => store.listRecipients(),
    );
    app.post(
      '/api/recipients',
      {
        schema: {
          ...summary('add a recipient, or change the name of one'),
          body: RecipientBody,
          response: answers({ 201: Recipient }),
        },
      },
      async (req, reply) => {
        const { email, name } = req.body;
        const r = await store.addRecipient(email, typeof name === 'string' && name.trim() ? name : null);
        return reply.status(201).send(r);
      },
    );
    const emailParams = { type: 'object', properties: { email: str }, required: ['email'] } as const;
    app.delete(
      '/api/recipients/:email',
      {
        schema: {
          ...summary('remove a recipient'),
          params: emailParams,
          response: answers({ 200: RecipientRemoved }),
        },
      },
      async (req) => {
        if (!(await store.removeRecipient(req.params.email))) {
          throw new SipprotError('SP_ERR_NOT_FOUND', `${req.params.email} is not a notification recipient`);
        }
        return { removed: req.params.email };
      },
    );
    app.post(
      '/api/notify/test',
      {
        schema: {
          ...summary('send a test mail (to one address, or the recipients)'),
          body: NotifyTestBody,
          response: answers({ 200: NotifyTestResult }),
        },
      },
      async (req) => deps.notifyTest(req.body?.to || undefined),
    );

    const geo = { response: answers({ 200: GeoStatus }) };
    app.get('/api/geoip', { schema: { ...summary('geo-IP database in use'), ...geo } }, () =>
      deps.geoip.status(),
    );
    app.post('/api/geoip/update', { schema: { ...summary('update the geo-IP database now'), ...geo } }, () =>
      deps.geoip.update(),
    );

    const report = {
      ...summary('the attack report of a day'),
      querystring: ReportQuery,
      response: answers({
        200: {
          description: 'the report as JSON (text and model), text or HTML',
          content: {
            'application/json': { schema: ReportJson },
            'text/plain': { schema: { type: 'string' } },
            'text/html': { schema: { type: 'string' } },
          },
        },
      }),
    } as const;
    app.get('/api/report', { schema: report }, async (req, reply) => {
      const day = checkDay(req.query.day ?? localDay(deps.clock()));
      const format = req.query.format ?? 'json';
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

    const reload = { ...summary('reload config and lists'), response: answers({ 200: Reloaded }) };
    app.post('/api/reload', { schema: reload }, async (req) => {
      const r = await deps.reload();
      req.log.info({ reloaded: r.reloaded }, 'reload requested over the API');
      return r;
    });
  };
}
