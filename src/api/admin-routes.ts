import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Admin } from '../admin/admin.js';
import { SipprotError } from '../core/errors.js';
import type { ListEntry, ListName } from '../core/types.js';

/**
 * The admin routes: a 1:1 HTTP face of the Admin interface, shared by the CLI (Unix
 * socket) and the web UI (TCP, behind login). `requesterOf` tells the lock-out guard
 * which address a change comes from (null on the root-only socket).
 */
export function adminRoutes(admin: Admin, requesterOf: (req: FastifyRequest) => string | null) {
  return async (app: FastifyInstance) => {
    app.get('/api/status', () => admin.status());
    app.get<{ Params: { ip: string } }>('/api/check/:ip', (req) => admin.check(req.params.ip));
    app.get<{ Params: { name: string } }>('/api/lists/:name', (req) =>
      admin.listEntries(listName(req.params.name)),
    );
    app.post<{ Params: { name: string }; Body: { entries?: unknown } }>('/api/lists/:name', (req) =>
      admin.addEntries(listName(req.params.name), entries(req.body?.entries), {
        requester: requesterOf(req),
      }),
    );
    app.post<{ Params: { name: string }; Body: { networks?: unknown; all?: unknown } }>(
      '/api/lists/:name/remove',
      (req) => {
        const name = listName(req.params.name);
        if (req.body?.all === true) return admin.removeAll(name);
        return admin.removeEntries(name, strings(req.body?.networks, 'networks'));
      },
    );
    app.post<{ Params: { name: string }; Body: { csv?: unknown; skipInvalid?: unknown } }>(
      '/api/lists/:name/import',
      (req) => {
        if (typeof req.body?.csv !== 'string') throw bad('body.csv must be the CSV text');
        return admin.importCsv(listName(req.params.name), req.body.csv, {
          skipInvalid: req.body.skipInvalid === true,
          requester: requesterOf(req),
        });
      },
    );
    app.get<{ Params: { name: string } }>('/api/lists/:name/export', async (req, reply) => {
      const name = listName(req.params.name);
      const csv = await admin.exportCsv(name);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="sipprot-${name}list.csv"`)
        .send(csv);
    });
    app.get('/api/dynamic', () => admin.dynamicBlocks());
    app.delete<{ Params: { ip: string } }>('/api/dynamic/:ip', (req) => admin.unblock(req.params.ip));
  };
}

function listName(s: string): ListName {
  if (s === 'allow' || s === 'deny') return s;
  throw new SipprotError('SP_ERR_NOT_FOUND', `no list "${s}": use allow or deny`);
}

function entries(v: unknown): ListEntry[] {
  if (!Array.isArray(v)) throw bad('body.entries must be an array of {network, note}');
  return v.map((e, i) => {
    const network = (e as { network?: unknown })?.network;
    const note = (e as { note?: unknown })?.note ?? '';
    if (typeof network !== 'string' || typeof note !== 'string') {
      throw bad(`body.entries[${i}] must be {network: string, note?: string}`);
    }
    return { network, note };
  });
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw bad(`body.${what} must be an array of strings`);
  return v as string[];
}

function bad(message: string): SipprotError {
  return new SipprotError('SP_ERR_USAGE', message);
}
