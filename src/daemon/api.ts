/**
 * The API wiring: the Admin use cases (LocalAdmin with live hooks) and the API's other
 * ports, backed by what the running daemon hands over (a RunningDaemon: what is in force,
 * and the few things the API may ask of it). The API serves them on the root-only Unix
 * socket (the CLI) and, when WEB_LISTEN is not off, on TCP for the web UI (login).
 */
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { geoInfo } from '../admin/geo-info.js';
import { type GeoInfo, type LiveHooks, LocalAdmin } from '../admin/local-admin.js';
import type { AdminPresence } from '../api/presence.js';
import { type ApiDeps, buildApi } from '../api/server.js';
import type { GeoStatus, LiveEvent } from '../api/types.js';
import { loadConfigDetailed } from '../config/load.js';
import { configDir } from '../core/config/parse.js';
import { SipprotError } from '../core/errors.js';
import type { AccessLists } from '../core/lists/lists.js';
import type { Protected } from '../core/lists/lockout.js';
import type { Config } from '../core/types.js';
import type { GeoDatabase } from '../geoip/database.js';
import { ListFiles } from '../lists/list-files.js';
import { localCalendar } from '../notify/calendar.js';
import { reportForDay } from '../notify/daily.js';
import { mailStatus } from '../notify/mail-status.js';
import { testSmtp } from '../notify/smtp.js';
import type { ClusterStatus } from '../ports/cluster.js';
import type { FeedsView } from '../ports/feeds.js';
import type { ListStorage } from '../ports/lists.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { logConfigWarnings, warningLines } from './config-warnings.js';
import { feedsHandOver } from './off-loop-reads.js';
import { QueueWriter } from './queue-writer.js';
import { settingsView, updateSettings } from './settings.js';
import { ensureAdminPassword, hostPolicy, tlsOptions, warnIfExposed } from './web.js';

const clock = () => Date.now() / 1000;

/** What the API may see and ask of the running daemon (the Daemon builds exactly this). */
export interface RunningDaemon {
  /** What is in force now: each changes on reload (and the lists on every list change). */
  config(): Config;
  access(): AccessLists;
  geo(): GeoDatabase | null;
  mailStatus(): { configured: boolean; message: string };
  /** List changes and unblocks reach the kernel and the policy at once. */
  live: LiveHooks;
  /** Applies a validated config (keeps blocks); returns what it did, for the admin. */
  reload(next: Config): Promise<string>;
  /** Makes the kernel match the policy, lists and countries (after a geo-IP update). */
  reconcile(why: string): Promise<void>;
  /**
   * Addresses the lock-out guard keeps reachable besides loopback and the requester: the
   * host's own, its resolvers, gateways, SSH peers and live web admin sessions.
   */
  protect(): Protected[];
  /** The host's LANs (networks of its interfaces), for the country guard's warnings. */
  lans(): Array<{ network: string; iface: string }>;
  /** Cluster mode: this host's view of the fleet; null on a single host. */
  cluster(): Promise<ClusterStatus | null>;
  /** The shared blocklists (FEEDS_FILE); null when none are configured. */
  feeds(): FeedsView | null;
}

export interface ApiParts {
  running: RunningDaemon;
  store: Store;
  lists: ListStorage;
  events: { subscribe(cb: (e: LiveEvent) => void): () => void };
  log: PinoLogger;
  /** --config as given, so a reload over the API reads the same file as SIGHUP. */
  configPath: string | undefined;
  /** Metrics and webhooks (daemon/ops.ts). */
  ops?: Pick<ApiDeps, 'metrics' | 'webhooks'>;
  /** Peers of live web admin sessions (the lock-out guard and the forged-packet shield). */
  presence?: AdminPresence;
}

/** The Admin and API ports, backed by the running daemon (changes apply at once). */
function apiDeps(p: ApiParts): ApiDeps {
  const { running, store } = p;
  const admin = adminOf(running, store, p.lists);
  return {
    admin,
    ...(p.presence ? { presence: p.presence } : {}),
    store,
    settings: {
      read: async () => settingsView(running.config()),
      update: (changes, requester, opts) =>
        updateSettings(
          { ...running, guardCountries: (c) => admin.guardCountries(c, { requester, ...opts }) },
          changes,
        ),
    },
    geoip: geoipPort(running),
    report: async (day) => {
      const r = await reportForDay(store, localCalendar, day, {
        host: hostname(),
        now: clock(),
        observe: running.config().detection.observe,
      });
      return { text: r.text, html: r.html, model: r.report };
    },
    notifyTest: (to) => notifyTest(running.config(), store, to),
    events: p.events,
    reload: () => reload(running, p.configPath, p.log),
    cluster: () => running.cluster(),
    feeds: () => running.feeds(),
    clock,
    logger: p.log,
    ...p.ops,
    tokens: () => {
      const { ops } = running.config();
      return { metrics: ops.metricsToken, export: ops.exportToken };
    },
  };
}

/** The Admin use cases on the running daemon (the API's, and the cluster's lock-out guard). */
export function adminOf(running: RunningDaemon, store: Store, lists: ListStorage): LocalAdmin {
  return new LocalAdmin({
    get config() {
      return running.config();
    },
    lists,
    store,
    geo: geoView(running),
    mailStatus: () => running.mailStatus(),
    clock,
    access: () => running.access(),
    live: running.live,
    protect: () => running.protect(),
    lans: () => running.lans(),
    feeds: () => running.feeds(),
  });
}

/**
 * The admin views' geo-IP summary of the database in force. One geoInfo per database, so
 * its range count is computed once per database and country list (~175 ms for US), not
 * on every status request.
 */
function geoView(running: RunningDaemon): GeoInfo {
  const countries = {
    get blockedCountries() {
      return running.config().blockedCountries;
    },
  };
  let current: { db: GeoDatabase; info: GeoInfo } | null = null;
  const infoOf = (db: GeoDatabase) => {
    if (current?.db !== db) current = { db, info: geoInfo(db, countries) };
    return current.info;
  };
  return {
    country: (ip) => running.geo()?.country(ip) ?? null,
    countriesIn: (network) => {
      const geo = running.geo();
      return geo ? (infoOf(geo).countriesIn?.(network) ?? []) : [];
    },
    countries: () => {
      const geo = running.geo();
      return geo
        ? infoOf(geo).countries()
        : { blocked: running.config().blockedCountries, ranges: 0, database: null };
    },
  };
}

/** Re-reads the config file; an invalid one is refused with its errors (nothing changes). */
async function reload(running: RunningDaemon, configPath: string | undefined, log: Logger) {
  try {
    const r = loadConfigDetailed({
      path: configPath ?? running.config().source ?? undefined,
      env: process.env,
    });
    logConfigWarnings(log, r.path, r.warnings, 'reload');
    return { reloaded: true, message: (await running.reload(r.config)) + warningLines(r.path, r.warnings) };
  } catch (e) {
    // An invalid or unsafe (world-writable) config is refused; the running one stays.
    if (e instanceof SipprotError && (e.code === 'SP_ERR_CONFIG_INVALID' || e.code === 'SP_ERR_PERMISSION')) {
      return { reloaded: false, message: `configuration not reloaded:\n${e.message}` };
    }
    throw e;
  }
}

function geoipPort(running: RunningDaemon): ApiDeps['geoip'] {
  return {
    status: async () => geoStatus(running.geo(), running.config().geoip.updateUrl),
    update: async () => {
      const config = running.config();
      const mmdb = running.geo()?.mmdbPath;
      if (mmdb) {
        // GEOIP_MMDB: the admin's file is the source; "update" reads it again (checked).
        const r = await running.geo()!.refreshMmdb({ force: true });
        await running.reconcile('geo-ip update');
        return { ...geoStatus(running.geo(), config.geoip.updateUrl), warnings: r?.warnings ?? [] };
      }
      const from = config.geoip.updateUrl;
      if (!from)
        throw new SipprotError('SP_ERR_USAGE', 'GEOIP_UPDATE_URL is not set: nothing to update from');
      const geo = running.geo();
      if (!geo) throw new SipprotError('SP_ERR_GEOIP', 'no geo-IP database is loaded');
      const r = await geo.update({ from, confineTo: configDir(config.source) });
      await running.reconcile('geo-ip update');
      return { ...geoStatus(geo, from), warnings: r.warnings };
    },
  };
}

async function notifyTest(config: Config, store: Store, to: string | undefined) {
  const status = mailStatus(config);
  if (!status.configured) return { ok: false, message: status.message };
  const recipients = to ? [to] : (await store.listRecipients()).map((r) => r.email);
  if (recipients.length === 0) return { ok: false, message: 'no notification recipients: add one first' };
  try {
    const r = await testSmtp(config.smtp, recipients);
    return { ok: true, message: `test mail accepted by ${r.server} for ${r.accepted.join(', ')}` };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

function geoStatus(db: GeoDatabase | null, updateUrl: string | null): GeoStatus {
  if (!db) throw new SipprotError('SP_ERR_GEOIP', 'no geo-IP database is loaded');
  const m = db.meta;
  return {
    source: m.source,
    date: m.date,
    v4Ranges: m.v4Ranges,
    v6Ranges: m.v6Ranges,
    origin: m.origin,
    updatedAt: m.updatedAt,
    updateUrl,
  };
}

/**
 * The read thread ends after this long without a read: longer than the minute or two a
 * router or SBC polls the export at, so a poll does not start a thread, read both list
 * files and take the feed entries from the loop again (100k feed entries: 37–62 ms of the
 * loop, bench/RESULTS.md "Aggregated export"). Idle, it holds a SQLite connection.
 */
const READS_IDLE_MS = 180_000;

/**
 * The root-only Unix socket for the CLI, and the web UI/API on WEB_LISTEN (login), built and
 * ready but not listening: fastify's boot (its plugins, its routes' schemas) held the loop
 * 340 ms at load 13 (`bench/RESULTS.md`, helper lag3), so the daemon does it before the
 * capture opens and listens after (nothing answers before the daemon is up, as before).
 * `servers` are closed by whoever prepared them, listening or not.
 */
export async function prepareApi(
  p: ApiParts,
): Promise<{ servers: FastifyInstance[]; listen(socketPath: string): Promise<void> }> {
  // The live view's pages and the whole dynamic list (the CLI's `status --dynamic`) are
  // read on a thread of its own (queue-writer.ts): a page of 100k blocks scans them all
  // for its order and counts (~45 ms; 1M ~0.3 s), the whole list of 1M is seconds.
  // The thread outlives a router's poll interval (READS_IDLE_MS): what it keeps between
  // exports (the list files as last read, the feeds' last generation) is lost with it.
  const offLoop = new QueueWriter(p.store, p.log, READS_IDLE_MS);
  const base = apiDeps(p);
  const exportWithFeeds = feedsHandOver({
    exportText: (j) => offLoop.exportText(j),
    threadRunning: () => offLoop.running,
    generation: () => p.running.feeds()?.generation?.(),
    entries: () => base.admin.feedEntries(),
  });
  const deps: ApiDeps = {
    ...base,
    pageBlocks: (q) => offLoop.pageBlocks(q),
    dynamicJson: () => offLoop.dynamicJson(clock()),
    // The blocks, the list files and the work are the thread's (off-loop-reads.ts); the
    // feeds are in the daemon's memory, handed over when their generation moved (or the
    // thread is new). Lists kept elsewhere than in files are handed over.
    exportText: async (q) => {
      const { admin } = base;
      const lists =
        p.lists instanceof ListFiles
          ? { files: { allow: p.lists.path('allow'), deny: p.lists.path('deny') } }
          : { entries: { allow: await admin.listEntries('allow'), deny: await admin.listEntries('deny') } };
      return exportWithFeeds({ ...q, lists });
    },
  };
  const config = p.running.config();
  await ensureAdminPassword(p.store, p.log, config.stateDir);
  const socket = await buildApi(deps, { transport: 'socket' });
  socket.addHook('onClose', () => offLoop.close());
  const servers = [socket];
  const { host, port } = config.webListen;
  if (port > 0) {
    warnIfExposed(config, p.log);
    const https = tlsOptions(config);
    const web = await buildApi(deps, {
      transport: 'tcp',
      hosts: hostPolicy(config),
      ...(https ? { https } : {}),
    });
    servers.push(web);
  }
  for (const s of servers) await s.ready();
  return {
    servers,
    async listen(socketPath) {
      await socket.listen({ path: socketPath });
      if (servers[1]) await servers[1].listen({ host, port });
    },
  };
}
