/**
 * GET /api/blocks/export: the blocks in force as text, CSV, JSON, nft or ipset syntax
 * (core/lists/export.ts), for an SBC, a router or another firewall to enforce the same
 * list. On WEB_LISTEN it takes a session or the bearer token EXPORT_TOKEN (server.ts checks
 * it on the route the router matched); on the socket it is the CLI's. The allow list is
 * always subtracted: an allowed address is never exported as blocked.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEFAULT_INCLUDE, type ExportOptions, exportFrom, parseInclude } from '../core/lists/export.js';
import {
  EXPORT_MEDIA,
  type ExportFormat,
  exportDocument,
  renderExport,
} from '../core/lists/export-render.js';
import type { Admin } from '../ports/admin.js';
import { bad } from './admin-routes.js';
import type { WireTypes } from './validation.js';
import { answers } from './wire/errors.js';
import { ExportJson, ExportQuery } from './wire/export.js';

export const EXPORT_ROUTE = '/api/blocks/export';

/** An export made elsewhere (the daemon: on a thread, daemon/off-loop-reads.ts): the body's text. */
export type ExportMaker = (q: {
  options: ExportOptions;
  format: ExportFormat;
  name?: string;
}) => Promise<string>;

/** `made`: the export made off the event loop, the same text as here; absent: made here. */
export function exportRoutes(admin: Admin, clock: () => number, made?: ExportMaker) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    const schema = {
      summary: 'the blocks in force (dynamic, deny list, feeds) minus the allow list, for other firewalls',
      querystring: ExportQuery,
      response: answers({
        200: {
          description: 'text (one network a line), CSV, JSON, an nft -f script or an ipset restore script',
          content: {
            'text/plain': { schema: { type: 'string' } },
            'text/csv': { schema: { type: 'string' } },
            'application/json': { schema: ExportJson },
          },
        },
      }),
    } as const;
    app.get(EXPORT_ROUTE, { schema }, async (req, reply) => {
      const q = req.query;
      const include = q.include === undefined ? [...DEFAULT_INCLUDE] : parseInclude(q.include);
      if (typeof include === 'string') throw bad(`query include ${include}`);
      const options = { include, aggregate: q.aggregate === true, now: clock() };
      const format = q.format ?? 'text';
      if (made) {
        const text = await made({ options, format, ...(q.name ? { name: q.name } : {}) });
        // Already the body (JSON too): sent as it is.
        return (reply as FastifyReply)
          .type(EXPORT_MEDIA[format])
          .header('cache-control', 'no-store')
          .send(text);
      }
      const x = await exportFrom(admin, options);
      reply.type(EXPORT_MEDIA[format]).header('cache-control', 'no-store');
      if (format === 'json') return exportDocument(x);
      return reply.send(renderExport(x, format, q.name ? { name: q.name } : {}));
    });
  };
}
