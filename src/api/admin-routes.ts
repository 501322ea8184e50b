/**
 * The admin routes: a 1:1 HTTP face of the Admin interface, shared by the CLI (Unix
 * socket) and the web UI (TCP, behind login). Requests are validated by their schemas
 * (./wire/lists.ts) before a handler runs; `requesterOf` tells the lock-out guard which
 * address a change comes from (null on the root-only socket).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SipprotError } from '../core/errors.js';
import { ACTORS } from '../core/history/events.js';
import { CSV_TEMPLATE } from '../core/lists/list-csv.js';
import { type Address, parseAddress } from '../core/net/ip.js';
import type { Admin, ChangeOptions } from '../ports/admin.js';
import type { WireTypes } from './validation.js';
import { answers, textAnswer } from './wire/errors.js';
import { AddEntriesBody, ImportBody, ImportQuery, IpParams, ListParams, RemoveBody } from './wire/lists.js';
import {
  ChangeResult,
  CheckResult,
  DynamicBlock,
  ImportResult,
  ListEntry,
  RemoveResult,
  StatusReport,
  Unblocked,
} from './wire/records.js';
import { arrayOf } from './wire/schema.js';

/** CSV imports of 100k-entry lists run to a few MB; other bodies stay at fastify's 1 MB. */
export const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

const SCHEMAS = {
  status: { summary: 'counts per list, daemon, countries, mail', response: answers({ 200: StatusReport }) },
  check: {
    summary: 'is this address blocked, and why',
    params: IpParams,
    response: answers({ 200: CheckResult }),
  },
  template: {
    summary: 'CSV template for import',
    response: answers({ 200: textAnswer('text/csv', 'the template') }),
  },
  entries: {
    summary: 'entries of a list',
    params: ListParams,
    response: answers({ 200: arrayOf(ListEntry) }),
  },
  add: {
    summary: 'add entries (deny: refused with SP_ERR_LOCKOUT when it would lock you out)',
    params: ListParams,
    body: AddEntriesBody,
    response: answers({ 200: ChangeResult }),
  },
  remove: {
    summary: 'remove some entries, or all with {all: true}',
    params: ListParams,
    body: RemoveBody,
    response: answers({ 200: RemoveResult }),
  },
  import: {
    summary: 'import CSV (network,note); per-line errors; nothing applied on errors unless skipInvalid',
    params: ListParams,
    querystring: ImportQuery,
    body: ImportBody,
    response: answers({ 200: ImportResult }),
  },
  export: {
    summary: 'the list as CSV',
    params: ListParams,
    response: answers({ 200: textAnswer('text/csv', 'network,note a line') }),
  },
  dynamic: { summary: 'dynamic deny list with time left', response: answers({ 200: arrayOf(DynamicBlock) }) },
  unblock: { summary: 'lift a dynamic block now', params: IpParams, response: answers({ 200: Unblocked }) },
} as const;

type Requester = (req: FastifyRequest) => Address | null;

/** Who a change is by, for the history: the web admin and where from, or the CLI on the socket. */
export function actorOf(requesterOf: Requester, transport: 'socket' | 'tcp') {
  return (req: FastifyRequest): string =>
    transport === 'tcp' ? ACTORS.web(requesterOf(req)?.text ?? null) : ACTORS.cli;
}

/**
 * `dynamicJson`: GET /api/dynamic's answer made off the event loop (the daemon: on a thread,
 * daemon/queue-writer.ts), the same JSON as `admin.dynamicBlocks()` gives; absent: that.
 */
export function adminRoutes(
  admin: Admin,
  requesterOf: Requester,
  transport: 'socket' | 'tcp',
  dynamicJson?: () => Promise<string>,
) {
  const actor = actorOf(requesterOf, transport);
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    app.get('/api/status', { schema: SCHEMAS.status }, () => admin.status());
    app.get('/api/check/:ip', { schema: SCHEMAS.check }, (req) => admin.check(req.params.ip));
    app.get('/api/lists/template.csv', { schema: SCHEMAS.template }, async (_req, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="sipprot-list-template.csv"')
        .send(CSV_TEMPLATE),
    );
    app.get('/api/lists/:list', { schema: SCHEMAS.entries }, (req) => admin.listEntries(req.params.list));
    app.get('/api/lists/:list/export', { schema: SCHEMAS.export }, async (req, reply) => {
      const name = req.params.list;
      const csv = await admin.exportCsv(name);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="sipprot-${name}list.csv"`)
        .send(csv);
    });
    await app.register(listChangeRoutes(admin, requesterOf, actor));
    app.get('/api/dynamic', { schema: SCHEMAS.dynamic }, async (_req, reply) =>
      // Already JSON text: sent as it is (the schema's serializer is for objects).
      dynamicJson
        ? (reply as FastifyReply).type('application/json; charset=utf-8').send(await dynamicJson())
        : admin.dynamicBlocks(),
    );
    app.delete('/api/dynamic/:ip', { schema: SCHEMAS.unblock }, (req) =>
      admin.unblock(req.params.ip, { actor: actor(req) }),
    );
  };
}

/**
 * Add, remove, import: the changes. The Admin behind them runs the one lock-out guard
 * (core/lists/lockout.ts); here only who asks and `force` are gathered: the peer of a TCP
 * request, or on the root-only socket the SSH client the CLI names.
 */
function listChangeRoutes(admin: Admin, requesterOf: Requester, actor: (req: FastifyRequest) => string) {
  const options = (req: FastifyRequest, body: { force?: boolean; requester?: string } | undefined) => {
    const peer = requesterOf(req);
    const named = peer === null && body?.requester ? parseAddress(body.requester) : null;
    const o: ChangeOptions = { requester: (peer ?? named)?.text ?? null, actor: actor(req) };
    if (body?.force === true) o.force = true;
    return o;
  };
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    app.post('/api/lists/:list', { schema: SCHEMAS.add }, async (req) => {
      const list = req.body.entries.map((e) => ({ network: e.network, note: e.note ?? '' }));
      return admin.addEntries(req.params.list, list, options(req, req.body));
    });
    app.post('/api/lists/:list/remove', { schema: SCHEMAS.remove }, async (req) => {
      const name = req.params.list;
      const { all, networks } = req.body;
      if (all !== true && networks === undefined) throw bad('body.networks must be an array of strings');
      const o = options(req, req.body);
      return all === true ? admin.removeAll(name, o) : admin.removeEntries(name, networks!, o);
    });
    const importOptions = { bodyLimit: IMPORT_BODY_LIMIT, schema: SCHEMAS.import };
    app.post('/api/lists/:list/import', importOptions, async (req) => {
      // JSON {csv, skipInvalid} from the UI, or the raw file as text/csv (?skipInvalid=1).
      // Without a content type there is no body to validate: undefined reaches here.
      const body = req.body as typeof req.body | undefined;
      const csv = typeof body === 'string' ? body : body?.csv;
      if (typeof csv !== 'string') throw bad('body.csv must be the CSV text');
      const yes = (v: string | undefined) => ['1', 'true', 'yes'].includes(v ?? '');
      const raw = typeof body === 'string';
      const skipInvalid = raw ? yes(req.query.skipInvalid) : body?.skipInvalid === true;
      const o = options(req, raw ? { force: yes(req.query.force) } : body);
      return admin.importCsv(req.params.list, csv, { skipInvalid, ...o });
    });
  };
}

export function bad(message: string): SipprotError {
  return new SipprotError('SP_ERR_USAGE', message);
}
