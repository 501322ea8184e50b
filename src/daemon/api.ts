import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { geoInfo } from '../admin/geo-info.js';
import { LocalAdmin } from '../admin/local-admin.js';
import { ensureAdminPassword } from '../api/password.js';
import { type ApiDeps, buildApi } from '../api/server.js';
import type { GeoStatus } from '../api/types.js';
import { loadConfig } from '../config/load.js';
import { configDir } from '../core/config/parse.js';
import { SipprotError } from '../core/errors.js';
import type { GeoDatabase } from '../geoip/database.js';
import { localCalendar } from '../notify/calendar.js';
import { reportForDay } from '../notify/daily.js';
import { mailStatus, testSmtp } from '../notify/smtp.js';
import type { Daemon } from './daemon.js';
import { settingsView, updateSettings } from './settings.js';

const clock = () => Date.now() / 1000;

/** The Admin and API ports, backed by the running daemon (changes apply at once). */
export function apiDeps(daemon: Daemon, configPath: string | undefined): ApiDeps {
  const admin = new LocalAdmin({
    get config() {
      return daemon.config;
    },
    lists: daemon.lists,
    store: daemon.store,
    geo: {
      country: (ip) => daemon.geo?.country(ip) ?? null,
      countries: () =>
        daemon.geo
          ? geoInfo(daemon.geo, daemon.config).countries()
          : { blocked: daemon.config.blockedCountries, ranges: 0, database: null },
    },
    mailStatus: () => daemon.notifier.status(),
    clock,
    access: () => daemon.access,
    live: {
      listsChanged: (name) => daemon.listsChanged(name),
      unblock: async (ip) => daemon.unblock(ip),
      daemon: () => ({ pid: process.pid, startedAt: daemon.startedAt }),
      stats: () => daemon.liveStats(),
    },
  });
  const reload = async () => {
    try {
      const next = loadConfig({ path: configPath ?? daemon.config.source ?? undefined, env: process.env });
      return { reloaded: true, message: await daemon.reload(next) };
    } catch (e) {
      if (e instanceof SipprotError && e.code === 'SP_ERR_CONFIG_INVALID') {
        return { reloaded: false, message: `configuration not reloaded:\n${e.message}` };
      }
      throw e;
    }
  };
  return {
    admin,
    store: daemon.store,
    settings: {
      read: async () => settingsView(daemon.config),
      update: (changes) => updateSettings(daemon, changes),
    },
    geoip: {
      status: async () => geoStatus(daemon.geo, daemon.config.geoip.updateUrl),
      update: async () => {
        const from = daemon.config.geoip.updateUrl;
        if (!from)
          throw new SipprotError('SP_ERR_USAGE', 'GEOIP_UPDATE_URL is not set: nothing to update from');
        if (!daemon.geo) throw new SipprotError('SP_ERR_GEOIP', 'no geo-IP database is loaded');
        const r = await daemon.geo.update({ from, confineTo: configDir(daemon.config.source) });
        await daemon.reconcile('geo-ip update');
        return { ...geoStatus(daemon.geo, from), warnings: r.warnings };
      },
    },
    report: async (day) => {
      const r = await reportForDay(daemon.store, localCalendar, day, { host: hostname(), now: clock() });
      return { text: r.text, html: r.html, model: r.report };
    },
    notifyTest: async (to) => {
      const status = mailStatus(daemon.config);
      if (!status.configured) return { ok: false, message: status.message };
      const recipients = to ? [to] : (await daemon.store.listRecipients()).map((r) => r.email);
      if (recipients.length === 0) return { ok: false, message: 'no notification recipients: add one first' };
      try {
        const r = await testSmtp(daemon.config.smtp, recipients);
        return { ok: true, message: `test mail accepted by ${r.server} for ${r.accepted.join(', ')}` };
      } catch (e) {
        return { ok: false, message: (e as Error).message };
      }
    },
    events: daemon.events,
    reload,
    clock,
    logger: daemon.log,
  };
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

/** The root-only Unix socket for the CLI, and the web UI/API on WEB_LISTEN (login). */
export async function startApi(
  daemon: Daemon,
  socketPath: string,
  configPath?: string,
): Promise<FastifyInstance[]> {
  const deps = apiDeps(daemon, configPath);
  const generated = await ensureAdminPassword(daemon.store, daemon.log);
  if (generated)
    daemon.log.info(
      'a one-time admin password was generated (see the warning above); change it with: sipprot passwd',
    );
  const socket = await buildApi(deps, { transport: 'socket' });
  await socket.listen({ path: socketPath });
  const servers = [socket];
  const { host, port } = daemon.config.webListen;
  if (port > 0) {
    const web = await buildApi(deps, { transport: 'tcp' });
    await web.listen({ host, port });
    servers.push(web);
  }
  return servers;
}
