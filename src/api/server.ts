/**
 * The HTTP API and web UI server. The daemon builds one instance per listener: on the
 * root-only Unix socket (the CLI) nothing asks for a login; on TCP (WEB_LISTEN) every
 * /api route but login and health needs a session, and every change a CSRF token.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { SipprotError } from '../core/errors.js';
import { eventOfSettings } from '../core/history/events.js';
import { type Address, parseAddress } from '../core/net/ip.js';
import { bearerMatches, bearerOf } from '../platform/bearer.js';
import type { Admin } from '../ports/admin.js';
import type { ClusterStatus } from '../ports/cluster.js';
import type { FeedsView } from '../ports/feeds.js';
import type { BlockPage, BlockPageQuery, Store } from '../ports/store.js';
import { actorOf, adminRoutes, IMPORT_BODY_LIMIT } from './admin-routes.js';
import { alertRoutes } from './alert-routes.js';
import { assertCsrf, type Session, Sessions } from './auth.js';
import { clusterRoutes } from './cluster-routes.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { dynamicRoutes } from './dynamic-routes.js';
import { installErrorHandler } from './errors.js';
import { eventsRoute } from './events-route.js';
import { EXPORT_ROUTE, type ExportMaker, exportRoutes } from './export-routes.js';
import { feedsRoutes } from './feeds-routes.js';
import { installSecurityHeaders } from './headers.js';
import { historyRoutes } from './history-routes.js';
import { type HostPolicy, hostAllowed, originAllowed } from './host-check.js';
import { LoginGuard } from './login-guard.js';
import { openApiDocument, type RouteSpec } from './openapi.js';
import { opsRoutes } from './ops-routes.js';
import type { AdminPresence } from './presence.js';
import { sessionRoutes } from './session-routes.js';
import { type SettingsPort, settingsRoutes } from './settings-routes.js';
import { serveStaticFiles } from './static-files.js';
import type { GeoStatus, LiveEvent } from './types.js';
import { installValidation } from './validation.js';
import { type WebhooksPort, webhookRoutes } from './webhook-routes.js';
import { answers, textAnswer } from './wire/errors.js';
import { bool, num, record } from './wire/schema.js';

export type { GeoStatus, LiveEvent, SettingsView } from './types.js';

export interface ApiDeps {
  admin: Admin;
  /** Told the peer of every request with a live session (the guard and the shield protect it). */
  presence?: AdminPresence;
  /** Sessions, admin password hash (settings), recipients, summaries. */
  store: Store;
  /** Validates with parseConfig; errors name key, value and what is allowed. */
  settings: SettingsPort;
  geoip: { status(): Promise<GeoStatus>; update(): Promise<GeoStatus> };
  /** `day` is YYYY-MM-DD (local). */
  report(day: string): Promise<{ text: string; html: string; model: unknown }>;
  notifyTest(to?: string): Promise<{ ok: boolean; message: string }>;
  /** Decisions as they happen, for the live dynamic list. */
  events: { subscribe(cb: (e: LiveEvent) => void): () => void };
  /**
   * A page of the dynamic list (GET /api/dynamic/page) read off the event loop (the
   * daemon: a thread of its own); absent: store.pageBlocks.
   */
  pageBlocks?: (q: BlockPageQuery) => Promise<BlockPage>;
  /**
   * GET /api/dynamic's JSON (the whole list) made off the event loop (the daemon: a thread
   * of its own); absent: admin.dynamicBlocks() serialized here.
   */
  dynamicJson?: () => Promise<string>;
  /** GET /api/blocks/export's body made off the event loop (the daemon); absent: made here. */
  exportText?: ExportMaker;
  reload(): Promise<{ reloaded: boolean; message: string }>;
  /** Cluster mode: this host's view of the fleet (null on a single host). */
  cluster?: () => Promise<ClusterStatus | null>;
  /** The shared blocklists (FEEDS_FILE); null when none are configured. */
  feeds?: () => FeedsView | null;
  /** Epoch seconds. */
  clock(): number;
  logger?: Logger;
  /** Prometheus exposition text (GET /metrics). */
  metrics?: () => Promise<string>;
  /** Webhook targets' status, the test button, the queue length. */
  webhooks?: WebhooksPort;
  /** Bearer tokens that open one machine route each on TCP (config in force; null = session only). */
  tokens?: () => { metrics: string | null; export: string | null };
}

interface ApiOptions {
  transport: 'socket' | 'tcp';
  /** The built UI (web/dist); default: web/dist of this package. Not served on the socket. */
  webRoot?: string;
  /** Failed logins per source or known browser before the backoff (default 5; login-guard.ts). */
  loginFailuresPerMinute?: number;
  /** Failed logins a minute from all unknown browsers together before 429 (default 30). */
  loginFailuresGlobal?: number;
  /** Live view heartbeat (default 20 s); tests shorten it. */
  heartbeatMs?: number;
  /** Live views open at once before 503 SP_ERR_BUSY (default 64). */
  maxLiveViews?: number;
  /** Which Host headers name this server on TCP (default: a loopback listener's). */
  hosts?: HostPolicy;
  /** PEM certificate and key: the TCP listener speaks HTTPS only. */
  https?: { cert: string | Buffer; key: string | Buffer };
}

const LOOPBACK_POLICY: HostPolicy = { listenHost: '127.0.0.1', names: [], ownAddresses: () => [] };

/** The canonical peer address of a TCP request, or null (Unix socket, unparsable). */
function requesterAddress(ip: string | undefined | null): Address | null {
  return ip ? parseAddress(ip) : null;
}

const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * Routes reachable without a session on TCP, by method and the pattern the router matched
 * (never the raw URL: the router decodes `%61pi` to `api`). Everything else, an unmatched
 * path included, needs a session, and every change a CSRF token.
 */
const PUBLIC_ROUTES = new Set([
  'POST /api/login',
  'GET /api/health',
  'HEAD /api/health',
  'GET /api/session',
  'HEAD /api/session',
  // The built UI (index.html and hashed assets): @fastify/static's one wildcard route.
  'GET /*',
  'HEAD /*',
  // Without a built UI: the one page saying how to build it.
  'GET /',
  'HEAD /',
]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Every registered route with its schema, per app (the OpenAPI document; tests walk them all). */
const routeTables = new WeakMap<FastifyInstance, RouteSpec[]>();
export function routesOf(app: FastifyInstance): readonly RouteSpec[] {
  return routeTables.get(app) ?? [];
}
const isPublic = (r: { method: string; url: string }) => PUBLIC_ROUTES.has(`${r.method} ${r.url}`);

/** Machine routes a bearer token opens instead of a session (read-only: GET and HEAD). */
const TOKEN_ROUTES: Record<string, 'metrics' | 'export'> = {
  'GET /metrics': 'metrics',
  'HEAD /metrics': 'metrics',
  [`GET ${EXPORT_ROUTE}`]: 'export',
  [`HEAD ${EXPORT_ROUTE}`]: 'export',
};

/** The right bearer token for the matched machine route (never throws). */
function hasToken(req: FastifyRequest, tokens: ApiDeps['tokens']): boolean {
  const which = TOKEN_ROUTES[`${req.method} ${req.routeOptions.url ?? ''}`];
  return which !== undefined && bearerMatches(req.headers.authorization, tokens?.()[which] ?? null);
}

/**
 * True when the request carries the right bearer token for the route the router matched.
 * A wrong token on such a route is refused outright (not silently tried as a session).
 */
function tokenOpens(req: FastifyRequest, tokens: ApiDeps['tokens']): boolean {
  const which = TOKEN_ROUTES[`${req.method} ${req.routeOptions.url ?? ''}`];
  if (!which || bearerOf(req.headers.authorization) === null) return false;
  const token = tokens?.()[which] ?? null;
  if (hasToken(req, tokens)) return true;
  const key = which === 'metrics' ? 'METRICS_TOKEN' : 'EXPORT_TOKEN';
  throw new SipprotError(
    'SP_ERR_AUTH',
    token === null
      ? `no ${key} is set on this host: use a session, or set ${key} in sipprot.conf`
      : `the bearer token is not ${key}`,
  );
}

export async function buildApi(deps: ApiDeps, opts: ApiOptions): Promise<FastifyInstance> {
  const tcp = opts.transport === 'tcp';
  const log = deps.logger?.child({ component: 'api', transport: opts.transport });
  const app = Fastify({
    ...(tcp && opts.https ? { https: opts.https } : {}),
    ...(log ? { loggerInstance: log as unknown as FastifyBaseLogger } : { logger: false }),
    // Per-request lines would log every poll of the UI; state changes are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    bodyLimit: 1024 * 1024,
  });
  installErrorHandler(app, { exposeInternal: !tcp });
  installValidation(app);
  installSecurityHeaders(app);
  // `curl --data-binary @list.csv -H 'content-type: text/csv'` imports without JSON wrapping.
  app.addContentTypeParser(
    ['text/csv', 'text/plain'],
    { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  const sessions = new Sessions(deps.store, deps.clock);
  const guard = new LoginGuard(deps.clock, {
    ...(opts.loginFailuresPerMinute ? { perSource: opts.loginFailuresPerMinute } : {}),
    ...(opts.loginFailuresGlobal ? { global: opts.loginFailuresGlobal } : {}),
  });
  const sessionByRequest = new WeakMap<FastifyRequest, Session>();
  const sessionOf = (req: FastifyRequest) => sessionByRequest.get(req) ?? null;
  const requesterOf = (req: FastifyRequest) => (tcp ? requesterAddress(req.ip) : null);

  const routes: RouteSpec[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (r) => {
    const schema = r.schema as RouteSpec['schema'];
    for (const method of [r.method].flat())
      routes.push({ method, url: r.url, ...(schema ? { schema } : {}) });
  });

  if (tcp) installTcpGuards(app, deps, opts.hosts ?? LOOPBACK_POLICY, sessions, sessionByRequest);

  const health = {
    summary: 'liveness (no login)',
    response: answers({ 200: record({ ok: bool, now: num }) }),
  };
  app.get('/api/health', { schema: health }, () => ({ ok: true, now: deps.clock() }));
  // Built at the first request, when every route is registered.
  let doc: Record<string, unknown> | null = null;
  const openapi = { summary: 'this document', response: answers({ 200: { type: 'object' } }) };
  app.get('/api/openapi.json', { schema: openapi }, () => {
    doc ??= openApiDocument(routes, isPublic);
    return doc;
  });
  await app.register(
    sessionRoutes({
      store: deps.store,
      transport: opts.transport,
      sessions,
      guard,
      clock: deps.clock,
      sessionOf,
    }),
  );
  await app.register(adminRoutes(deps.admin, requesterOf, opts.transport, deps.dynamicJson));
  await app.register(alertRoutes(deps.admin, actorOf(requesterOf, opts.transport)));
  await registerSettingsAndHistory(app, deps, requesterOf, tcp);
  await app.register(dashboardRoutes(deps.store, deps.admin, deps.clock));
  await app.register(opsRoutes(deps));
  await app.register(clusterRoutes(deps.cluster));
  await app.register(feedsRoutes(deps.feeds));
  await app.register(exportRoutes(deps.admin, deps.clock, deps.exportText));
  await app.register(dynamicRoutes(deps, actorOf(requesterOf, opts.transport)));
  await app.register(webhookRoutes(deps, requesterOf));
  await app.register(
    eventsRoute(deps, {
      stillAuthorized: async (req) => !tcp || (await sessions.lookup(req, { touch: false })) !== null,
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.maxLiveViews ? { maxClients: opts.maxLiveViews } : {}),
    }),
  );
  if (tcp) await serveUi(app, opts.webRoot ?? DEFAULT_WEB_ROOT);
  return app;
}

/**
 * The TCP listener's gates, in order: the Host allow-list (DNS rebinding) and the Origin
 * of changes, before anything else; then, after routing (routeOptions.url is the pattern
 * that will handle it), a live session for every non-public route and a CSRF token for
 * every change. Sessions' peers are told to `presence`.
 */
function installTcpGuards(
  app: FastifyInstance,
  deps: ApiDeps,
  hosts: HostPolicy,
  sessions: Sessions,
  sessionByRequest: WeakMap<FastifyRequest, Session>,
): void {
  app.addHook('onRequest', async (req) => {
    // A scraper's bearer token is no ambient credential a rebinding page could use.
    if (!hostAllowed(req.headers.host, hosts) && !hasToken(req, deps.tokens)) {
      throw new SipprotError(
        'SP_ERR_BAD_HOST',
        'this server does not answer to that Host name: use its address, or add the name to WEB_HOSTNAMES',
      );
    }
    if (!SAFE_METHODS.has(req.method) && !originAllowed(req.headers.origin, hosts)) {
      throw new SipprotError('SP_ERR_CSRF', 'a change from another site (Origin) is refused');
    }
  });
  app.addHook('onRequest', async (req) => {
    if (isPublic({ method: req.method, url: req.routeOptions.url ?? '' })) return;
    if (tokenOpens(req, deps.tokens)) return;
    const session = await sessions.lookup(req);
    if (!session) throw new SipprotError('SP_ERR_AUTH', 'log in first (POST /api/login)');
    sessionByRequest.set(req, session);
    deps.presence?.seen(req.ip, deps.clock());
    if (!SAFE_METHODS.has(req.method)) assertCsrf(req, session);
  });
}

async function serveUi(app: FastifyInstance, root: string): Promise<void> {
  if (!existsSync(`${root}/index.html`)) {
    const schema = {
      summary: 'the web UI is not built: how to build it',
      response: answers({ 503: textAnswer('text/plain', 'how to build the UI') }),
    };
    app.get('/', { schema }, (_req, reply) =>
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(`The web UI is not built (${root}/index.html is missing): run scripts/build-web.sh\n`),
    );
    return;
  }
  await serveStaticFiles(app, root, {
    // Vite names assets by content hash: cache them for good; index.html must always revalidate.
    headers: (rel) => ({
      'cache-control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    }),
  });
}

/** Settings (each change into the history, secrets masked) and the history routes. */
async function registerSettingsAndHistory(
  app: FastifyInstance,
  deps: ApiDeps,
  requesterOf: (req: FastifyRequest) => Address | null,
  tcp: boolean,
): Promise<void> {
  const record = (changes: Record<string, string>, actor: string) =>
    deps.store.recordHistory([eventOfSettings(changes, deps.clock(), actor)]);
  await app.register(settingsRoutes(deps.settings, requesterOf, tcp ? 'web' : 'socket', record));
  await app.register(historyRoutes(deps.admin));
}
