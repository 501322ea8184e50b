/**
 * GET /api/blocks/export: the blocks in force as text, CSV, JSON, nft or ipset syntax
 * (core/lists/export.ts), for an SBC, a router or another firewall to enforce the same
 * list. On WEB_LISTEN it takes a session or the bearer token EXPORT_TOKEN (server.ts checks
 * it on the route the router matched); on the socket it is the CLI's. The allow list is
 * always subtracted: an allowed address is never exported as blocked.
 */
import type { FastifyInstance } from 'fastify';
import { DEFAULT_INCLUDE, exportFrom, parseInclude } from '../core/lists/export.js';
import { EXPORT_MEDIA, exportDocument, renderExport } from '../core/lists/export-render.js';
import type { Admin } from '../ports/admin.js';
import { bad } from './admin-routes.js';
import type { WireTypes } from './validation.js';
import { answers } from './wire/errors.js';
import { ExportJson, ExportQuery } from './wire/export.js';

export const EXPORT_ROUTE = '/api/blocks/export';

export function exportRoutes(admin: Admin, clock: () => number) {
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
      const x = await exportFrom(admin, { include, aggregate: q.aggregate === true, now: clock() });
      const format = q.format ?? 'text';
      reply.type(EXPORT_MEDIA[format]).header('cache-control', 'no-store');
      if (format === 'json') return exportDocument(x);
      return reply.send(renderExport(x, format, q.name ? { name: q.name } : {}));
    });
  };
}
