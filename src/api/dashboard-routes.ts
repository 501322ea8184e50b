/**
 * Read-only views over the store for the dashboard: blocks now, today's attacks, the top
 * countries and user agents, attacks over time, recent attacks and decisions.
 */
import type { FastifyInstance } from 'fastify';
import { countryName } from '../core/geoip/countries.js';
import type { Admin } from '../ports/admin.js';
import type { Store } from '../ports/store.js';
import { bad } from './admin-routes.js';
import type { DashboardData } from './types.js';

/** Range → bucket size: ~24-48 bars whatever the range. */
export const RANGES: Record<string, { seconds: number; bucket: number; label: string }> = {
  '24h': { seconds: 86400, bucket: 1800, label: 'last 24 hours' },
  '7d': { seconds: 7 * 86400, bucket: 6 * 3600, label: 'last 7 days' },
  '30d': { seconds: 30 * 86400, bucket: 86400, label: 'last 30 days' },
};

/** Local midnight of the day containing `now` (the host's time zone: the admin's day). */
export function startOfLocalDay(now: number): number {
  const d = new Date(now * 1000);
  d.setHours(0, 0, 0, 0);
  return d.getTime() / 1000;
}

function intParam(v: unknown, name: string, min: number, max: number, def: number): number {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(`${name} must be an integer ${min}-${max}`);
  return n;
}

export function dashboardRoutes(store: Store, admin: Admin, clock: () => number) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { range?: string } }>('/api/dashboard', async (req): Promise<DashboardData> => {
      const rangeName = req.query.range ?? '24h';
      const range = RANGES[rangeName];
      if (!range) throw bad(`range must be one of ${Object.keys(RANGES).join(', ')}`);
      const now = clock();
      // Buckets end on a multiple of their size so bars do not shift on every refresh.
      const to = Math.floor(now / range.bucket) * range.bucket + range.bucket;
      const from = to - range.seconds;
      const midnight = startOfLocalDay(now);
      const [blocks, status, today, span] = await Promise.all([
        store.blockCounts(now),
        admin.status(),
        store.attackSummary({ from: midnight, to: now + 1, top: 10 }),
        store.attackSummary({ from, to, top: 10, bucketSeconds: range.bucket }),
      ]);
      return {
        now,
        blocks,
        lists: { allow: status.counts.allow, deny: status.counts.deny },
        today: {
          from: midnight,
          attacks: today.attacks,
          attempts: today.attempts,
          distinctIps: today.distinctIps,
          attacksByRule: today.attacksByRule,
          blocksByReason: today.blocksByReason as Record<string, number>,
        },
        range: { from, to, bucketSeconds: range.bucket, label: range.label },
        series: span.series ?? [],
        topCountries: span.topCountries.map((c) => ({ ...c, name: countryName(c.country) })),
        topUserAgents: span.topUserAgents,
        misconfiguredPhones: span.misconfiguredPhones.map((p) => ({
          ip: p.ip,
          users: p.users,
          userAgent: p.userAgent,
          attempts: p.attempts,
        })),
      };
    });

    app.get<{ Querystring: { limit?: string; hours?: string } }>('/api/attacks', async (req) => {
      const limit = intParam(req.query.limit, 'limit', 1, 1000, 50);
      const hours = intParam(req.query.hours, 'hours', 1, 24 * 366, 24 * 7);
      const now = clock();
      return store.attacks({ from: now - hours * 3600, to: now + 1, limit });
    });

    app.get<{ Querystring: { limit?: string; hours?: string; ip?: string } }>(
      '/api/decisions',
      async (req) => {
        const limit = intParam(req.query.limit, 'limit', 1, 1000, 50);
        const hours = intParam(req.query.hours, 'hours', 1, 24 * 366, 24 * 7);
        const now = clock();
        const q = { from: now - hours * 3600, to: now + 1, limit };
        return store.decisions(req.query.ip ? { ...q, ip: req.query.ip } : q);
      },
    );
  };
}
