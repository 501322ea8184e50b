/**
 * Read-only views over the store for the dashboard: blocks now, today's attacks, the top
 * countries and user agents, attacks over time, recent attacks and decisions.
 */
import type { FastifyInstance } from 'fastify';
import { countryName } from '../core/geoip/countries.js';
import type { Admin } from '../ports/admin.js';
import type { Store } from '../ports/store.js';
import type { WireTypes } from './validation.js';
import { AttacksQuery, DashboardData, DashboardQuery, DecisionsQuery } from './wire/dashboard.js';
import { answers } from './wire/errors.js';
import { AttackRecord, Decision } from './wire/records.js';
import { arrayOf } from './wire/schema.js';

/** Range → bucket size: ~24-48 bars whatever the range. */
export const RANGES: Record<'24h' | '7d' | '30d', { seconds: number; bucket: number; label: string }> = {
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

export function dashboardRoutes(store: Store, admin: Admin, clock: () => number) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    const schema = {
      summary: 'blocks now, attacks today, top countries/user agents, attacks over time',
      querystring: DashboardQuery,
      response: answers({ 200: DashboardData }),
    };
    app.get('/api/dashboard', { schema }, async (req) => {
      const range = RANGES[req.query.range ?? '24h'];
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

    const attacks = {
      summary: 'recent attack events, newest first',
      querystring: AttacksQuery,
      response: answers({ 200: arrayOf(AttackRecord) }),
    };
    app.get('/api/attacks', { schema: attacks }, async (req) => {
      // The schema's defaults fill limit (50) and hours (168).
      const { limit = 50, hours = 24 * 7 } = req.query;
      const now = clock();
      return store.attacks({ from: now - hours * 3600, to: now + 1, limit });
    });

    const decisions = {
      summary: 'recent decisions, newest first',
      querystring: DecisionsQuery,
      response: answers({ 200: arrayOf(Decision) }),
    };
    app.get('/api/decisions', { schema: decisions }, async (req) => {
      const { limit = 50, hours = 24 * 7, ip } = req.query;
      const now = clock();
      const q = { from: now - hours * 3600, to: now + 1, limit };
      return store.decisions(ip ? { ...q, ip } : q);
    });
  };
}
