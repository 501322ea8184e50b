/**
 * One fake API world for the API tests and the browser tests (test/web): the fakes of
 * admin.fake.ts, deps.fake.ts and a FakeStore wired into ApiDeps, with what the tests look
 * at afterwards (mails asked for, reloads, webhook test presses, feeds) and `block()`, which
 * stores and announces a dynamic block as the daemon's policy path would.
 */
import { parseWebhookTarget } from '../core/config/keys-ops.js';
import { SipprotError } from '../core/errors.js';
import { aBlock, aDecision, blockedAt } from '../core/records.testkit.js';
import type { BlockRecord, WebhookTarget } from '../core/types.js';
import type { FeedStatus } from '../ports/feeds.js';
import { FakeStore } from '../store/store.fake.js';
import { FakeAdmin, UNSEEN } from './admin.fake.js';
import { FakeClock, FakeEvents, FakeSettings } from './deps.fake.js';
import type { ApiDeps } from './server.js';
import type { GeoStatus } from './types.js';

export interface FakeWorld {
  deps: ApiDeps;
  store: FakeStore;
  admin: FakeAdmin;
  clock: FakeClock;
  events: FakeEvents;
  settings: FakeSettings;
  geo: GeoStatus;
  mails: Array<string | undefined>;
  reloads: number;
  /** METRICS_TOKEN and EXPORT_TOKEN as the daemon's config would have them. */
  tokens: { metrics: string | null; export: string | null };
  /** The test button's presses (the index asked for, undefined = all). */
  webhookTests: Array<number | undefined>;
  /** The shared blocklists as GET /api/feeds shows them; update() marks a run (a test may set lastError). */
  feeds: FeedStatus[];
  /** Stores a dynamic block and announces it, as the daemon's policy path would. */
  block(ip: string, extra?: Partial<BlockRecord>): Promise<BlockRecord>;
}

export function fakeWorld(opts: { realTime?: boolean } = {}): FakeWorld {
  const clock = new FakeClock(opts.realTime ? Math.floor(Date.now() / 1000) : undefined);
  if (opts.realTime) clock.now = () => Date.now() / 1000;
  const store = new FakeStore();
  const events = new FakeEvents();
  const admin = new FakeAdmin(store, clock.now, events);
  const settings = new FakeSettings(admin);
  const webhookTests: Array<number | undefined> = [];
  const world: FakeWorld = {
    store,
    admin,
    clock,
    events,
    settings,
    geo: SHIPPED_GEO,
    mails: [],
    reloads: 0,
    tokens: { metrics: null, export: null },
    webhookTests,
    feeds: [],
    async block(ip, extra = {}) {
      const rec = aBlock(ip, { ...blockedAt(Math.floor(clock.now())), ...extra });
      await store.upsertBlock(rec);
      events.emit({
        type: 'decision',
        decision: aDecision(ip, rec.blockedAt, { ...UNSEEN, expiresAt: rec.expiresAt, reason: rec.reason }),
      });
      return rec;
    },
    deps: {
      admin,
      store,
      settings,
      geoip: {
        status: async () => world.geo,
        update: async () => {
          world.geo = { ...world.geo, origin: 'state', updatedAt: clock.now(), date: '2026-07-01' };
          return world.geo;
        },
      },
      report: async (day) => ({
        text: `sipprot attack report ${day}\nno attacks\n`,
        html: `<!DOCTYPE html><html><body style="font-family:Arial">report ${day}</body></html>`,
        model: { day },
      }),
      notifyTest: async (to) => {
        world.mails.push(to);
        return { ok: true, message: `test mail queued for ${to ?? 'the recipients'}` };
      },
      events,
      reload: async () => {
        world.reloads++;
        return { reloaded: true, message: 'config and lists reloaded' };
      },
      clock: () => clock.now(),
      feeds: () => feedsOf(world),
      tokens: () => world.tokens,
      metrics: async () => '# HELP sipprot_fake Fake\n# TYPE sipprot_fake gauge\nsipprot_fake 1\n',
      webhooks: webhooksOf(settings, webhookTests),
    },
  };
  return world;
}

/** The geo-IP table as shipped (what GET /api/geoip shows before an update). */
const SHIPPED_GEO: GeoStatus = {
  source:
    'IPFire Location Database (Thu, 25 Jun 2026 04:33:59 GMT) via Debian tor-geoipdb 0.4.9.11-0+deb12u1',
  date: '2026-06-17',
  v4Ranges: 215000,
  v6Ranges: 98000,
  origin: 'shipped',
  updatedAt: null,
  updateUrl: null,
};

/** The shared blocklists as world.feeds says; update() marks a run of one feed or all. */
function feedsOf(world: FakeWorld): ReturnType<NonNullable<ApiDeps['feeds']>> {
  return {
    status: () => world.feeds,
    lookup: () => [],
    entries: () => world.admin.feeds,
    update: async (name) => {
      if (name !== undefined && !world.feeds.some((f) => f.name === name)) {
        throw new SipprotError('SP_ERR_NOT_FOUND', `no feed named '${name}' in the feeds file`);
      }
      const now = world.clock.now();
      world.feeds = world.feeds.map((f) =>
        name === undefined || f.name === name ? { ...f, lastSuccess: now, lastAttempt: now } : f,
      );
      return world.feeds;
    },
  };
}

/** WEBHOOK_URLS as the settings hold them; a test press is recorded in `presses` and succeeds. */
function webhooksOf(
  settings: FakeSettings,
  presses: Array<number | undefined>,
): NonNullable<ApiDeps['webhooks']> {
  const status = () =>
    (settings.values.WEBHOOK_URLS ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((item, index) => {
        const t = parseWebhookTarget(item) as WebhookTarget;
        return { index, format: t.format, where: new URL(t.url).origin, lastOk: null, lastError: null };
      });
  return {
    status,
    test: async (index) => {
      presses.push(index);
      return status()
        .filter((t) => index === undefined || t.index === index)
        .map((t) => ({ index: t.index, format: t.format, where: t.where, ok: true, message: 'HTTP 200' }));
    },
    queued: async () => 0,
  };
}
