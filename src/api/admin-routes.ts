import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SipprotError } from '../core/errors.js';
import { CSV_TEMPLATE, parseCsv } from '../core/lists/lists.js';
import type { Address } from '../core/net/ip.js';
import type { ListEntry, ListName } from '../core/types.js';
import type { Admin } from '../ports/admin.js';
import { guardAllowRemove, guardDenyAdd } from './lockout.js';

/** CSV imports of 100k-entry lists run to a few MB; other bodies stay at fastify's 1 MB. */
export const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * The admin routes: a 1:1 HTTP face of the Admin interface, shared by the CLI (Unix
 * socket) and the web UI (TCP, behind login). `requesterOf` tells the lock-out guard
 * which address a change comes from (null on the root-only socket).
 */
export function adminRoutes(admin: Admin, requesterOf: (req: FastifyRequest) => Address | null) {
  const requesterText = (req: FastifyRequest) => requesterOf(req)?.text ?? null;
  return async (app: FastifyInstance) => {
    app.get('/api/status', () => admin.status());
    app.get<{ Params: { ip: string } }>('/api/check/:ip', (req) => admin.check(req.params.ip));
    app.get('/api/lists/template.csv', (_req, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="sipprot-list-template.csv"')
        .send(CSV_TEMPLATE),
    );
    app.get<{ Params: { name: string } }>('/api/lists/:name', (req) =>
      admin.listEntries(listName(req.params.name)),
    );
    app.post<{ Params: { name: string }; Body: { entries?: unknown } }>('/api/lists/:name', async (req) => {
      const name = listName(req.params.name);
      const list = entries(req.body?.entries);
      if (name === 'deny') {
        await guardDenyAdd(
          admin,
          list.map((e) => e.network),
          requesterOf(req),
        );
      }
      return admin.addEntries(name, list, { requester: requesterText(req) });
    });
    app.post<{ Params: { name: string }; Body: { networks?: unknown; all?: unknown } }>(
      '/api/lists/:name/remove',
      async (req) => {
        const name = listName(req.params.name);
        const all = req.body?.all === true;
        const networks = all ? null : strings(req.body?.networks, 'networks');
        if (name === 'allow') await guardAllowRemove(admin, networks, requesterOf(req));
        return networks === null ? admin.removeAll(name) : admin.removeEntries(name, networks);
      },
    );
    app.post<{
      Params: { name: string };
      Body: { csv?: unknown; skipInvalid?: unknown } | string;
      Querystring: { skipInvalid?: string };
    }>('/api/lists/:name/import', { bodyLimit: IMPORT_BODY_LIMIT }, async (req) => {
      const name = listName(req.params.name);
      // JSON {csv, skipInvalid} from the UI, or the raw file as text/csv (?skipInvalid=1).
      const raw = typeof req.body === 'string';
      const csv = typeof req.body === 'string' ? req.body : req.body?.csv;
      if (typeof csv !== 'string') throw bad('body.csv must be the CSV text');
      const skipInvalid = raw
        ? ['1', 'true', 'yes'].includes(req.query.skipInvalid ?? '')
        : (req.body as { skipInvalid?: unknown }).skipInvalid === true;
      if (name === 'deny') {
        await guardDenyAdd(
          admin,
          parseCsv(csv).entries.map((e) => e.network),
          requesterOf(req),
        );
      }
      return admin.importCsv(name, csv, { skipInvalid, requester: requesterText(req) });
    });
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

export function bad(message: string): SipprotError {
  return new SipprotError('SP_ERR_USAGE', message);
}
