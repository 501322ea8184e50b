/**
 * The history over HTTP: a page as JSON (the Events tab, `sipprot history` over the socket)
 * and the filtered history as CSV (the Events tab's export): up to `max` events, newest
 * first, gathered page by page (each page a bounded walk: core/history/query.ts), every
 * cell through the CSV rules of core/lists (formulas neutralised).
 */
import type { FastifyInstance } from 'fastify';
import { HISTORY_CSV_HEADER, historyCsvLine } from '../core/history/csv.js';
import { HISTORY_KINDS, type HistoryKind } from '../core/history/events.js';
import { MAX_PAGE } from '../core/history/query.js';
import type { DecisionReason } from '../core/types.js';
import type { Admin, HistoryRequest } from '../ports/admin.js';
import { bad } from './admin-routes.js';
import type { WireTypes } from './validation.js';
import { answers, textAnswer } from './wire/errors.js';
import { HistoryAnswer, HistoryExportQuery, HistoryQuery } from './wire/history.js';

const SCHEMAS = {
  page: {
    summary:
      'the history (blocks, lifts, escalations, list and settings changes, who made them), newest first',
    querystring: HistoryQuery,
    response: answers({ 200: HistoryAnswer }),
  },
  csv: {
    summary: 'the filtered history as CSV (formulas neutralised), newest first, at most `max` events',
    querystring: HistoryExportQuery,
    response: answers({ 200: textAnswer('text/csv', 'a header, then one event a line') }),
  },
} as const;

/** The query string as the Admin port's request (kinds checked against the catalog). */
export function historyRequest(q: HistoryQuery, limit: number): HistoryRequest {
  const r: HistoryRequest = { limit };
  if (q.ip) r.subject = q.ip;
  if (q.network) r.network = q.network;
  if (q.kind) {
    const kinds = q.kind.split(',');
    const unknown = kinds.filter((k) => !(HISTORY_KINDS as readonly string[]).includes(k));
    if (unknown.length > 0) throw bad(`unknown kind ${unknown.join(', ')}: use ${HISTORY_KINDS.join(', ')}`);
    r.kinds = kinds as HistoryKind[];
  }
  if (q.reason) r.reason = q.reason as DecisionReason;
  if (q.country) r.country = q.country.toUpperCase();
  if (q.ua) r.userAgent = q.ua;
  if (q.user) r.user = q.user;
  if (q.actor) r.actor = q.actor;
  if (q.since !== undefined) r.since = q.since;
  if (q.until !== undefined) r.until = q.until;
  if (q.page) r.page = q.page;
  return r;
}

export function historyRoutes(admin: Admin) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    app.get('/api/history', { schema: SCHEMAS.page }, (req) =>
      admin.history(historyRequest(req.query, req.query.limit ?? 50)),
    );
    app.get('/api/history.csv', { schema: SCHEMAS.csv }, async (req, reply) => {
      const max = req.query.max ?? 100_000;
      let out = `${HISTORY_CSV_HEADER}\r\n`;
      let n = 0;
      let page: string | undefined = req.query.page;
      do {
        const r = await admin.history({
          ...historyRequest(req.query, Math.min(MAX_PAGE, max - n)),
          ...(page ? { page } : {}),
        });
        for (const e of r.events) out += historyCsvLine(e);
        n += r.events.length;
        page = r.next ?? undefined;
      } while (page !== undefined && n < max);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="sipprot-history.csv"')
        .send(out);
    });
  };
}
