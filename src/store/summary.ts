/**
 * The AttackSummary behind reports and the dashboard, folded from a range's attack events
 * and decisions. Shared by every Store adapter so the numbers cannot differ by backend;
 * memory is per address/user/country, not per event (a report over 1M events streams).
 */
import type { AttackRecord, AttackSummary, TopIp } from '../core/records.js';
import { type Decision, RULES, type Rule } from '../core/types.js';
import type { SummaryQuery } from '../ports/store.js';

const MAX_USERS_PER_IP = 20;
/** A range split into more buckets than this is refused rather than allocating without bound. */
const MAX_BUCKETS = 100_000;

interface IpAcc extends TopIp {
  misconfigured: boolean;
  ruleSet: Set<Rule>;
}

/**
 * Folds attack events and decisions into an AttackSummary. Every adapter feeds it the
 * rows of the range (in any order) so the numbers mean the same whatever the backend;
 * events may be streamed, only per-address/user/country tallies are held.
 */
export class SummaryBuilder {
  private attacks = 0;
  private attempts = 0;
  private readonly byRule = Object.fromEntries(RULES.map((r) => [r, 0])) as Record<Rule, number>;
  private readonly ips = new Map<string, IpAcc>();
  private readonly users = new Map<string, number>();
  private readonly countries = new Map<string, number>();
  private readonly agents = new Map<string, number>();
  private readonly blocksByReason: Partial<Record<Decision['reason'], number>> = {};
  private readonly permanent: Decision[] = [];
  private wouldBlock = 0;
  private readonly series: number[] | null;
  private readonly top: number;

  constructor(private readonly q: SummaryQuery) {
    this.top = Math.max(0, Math.floor(q.top ?? 10));
    const bucket = q.bucketSeconds;
    if (bucket !== undefined && bucket > 0 && q.to > q.from) {
      const n = Math.min(MAX_BUCKETS, Math.ceil((q.to - q.from) / bucket));
      this.series = new Array<number>(n).fill(0);
    } else {
      this.series = bucket !== undefined ? [] : null;
    }
  }

  addAttack(a: AttackRecord): void {
    this.attacks++;
    this.attempts += a.attempts;
    this.byRule[a.rule] = (this.byRule[a.rule] ?? 0) + 1;
    let acc = this.ips.get(a.ip);
    if (!acc) {
      acc = {
        ip: a.ip,
        country: null,
        userAgent: null,
        users: [],
        attempts: 0,
        events: 0,
        rules: [],
        firstAt: a.at,
        lastAt: a.at,
        misconfigured: false,
        ruleSet: new Set(),
      };
      this.ips.set(a.ip, acc);
    }
    // Events may arrive in any order: "newest wins" is decided by time, not arrival.
    const newest = a.at >= acc.lastAt;
    acc.attempts += a.attempts;
    acc.events++;
    acc.ruleSet.add(a.rule);
    acc.misconfigured ||= a.misconfiguredPhone;
    if (a.country && (newest || !acc.country)) acc.country = a.country;
    if (a.userAgent && (newest || !acc.userAgent)) acc.userAgent = a.userAgent;
    acc.users = newest ? mergeUsers(a.users, acc.users) : mergeUsers(acc.users, a.users);
    acc.firstAt = Math.min(acc.firstAt, a.at);
    acc.lastAt = Math.max(acc.lastAt, a.at);
    for (const u of new Set(a.users)) this.users.set(u, (this.users.get(u) ?? 0) + 1);
    if (a.country) this.countries.set(a.country, (this.countries.get(a.country) ?? 0) + 1);
    // No User-Agent is counted too ('' here, null out): most tools send one, many attackers none.
    const agent = a.userAgent ?? '';
    this.agents.set(agent, (this.agents.get(agent) ?? 0) + 1);
    const bucket = this.q.bucketSeconds;
    if (this.series && bucket && this.series.length > 0) {
      const i = Math.floor((a.at - this.q.from) / bucket);
      if (i >= 0 && i < this.series.length) this.series[i] = (this.series[i] ?? 0) + 1;
    }
  }

  addDecision(d: Decision): void {
    if (d.action === 'observe') this.wouldBlock++;
    if (d.action === 'block' || d.action === 'permanent') {
      this.blocksByReason[d.reason] = (this.blocksByReason[d.reason] ?? 0) + 1;
    }
    if (d.action === 'permanent') this.permanent.push(d);
  }

  result(): AttackSummary {
    const ips = [...this.ips.values()].map(finishIp);
    ips.sort(byAttempts);
    const phones = [...this.ips.values()].filter((a) => a.misconfigured).map(finishIp);
    phones.sort(byAttempts);
    const out: AttackSummary = {
      from: this.q.from,
      to: this.q.to,
      attacks: this.attacks,
      attempts: this.attempts,
      attacksByRule: { ...this.byRule },
      distinctIps: this.ips.size,
      topIps: ips.slice(0, this.top),
      distinctUsers: this.users.size,
      topUsers: topOf(this.users, this.top).map(([user, events]) => ({ user, events })),
      topCountries: topOf(this.countries, this.top).map(([country, events]) => ({ country, events })),
      topUserAgents: topOf(this.agents, this.top).map(([agent, events]) => ({
        userAgent: agent === '' ? null : agent,
        events,
      })),
      misconfiguredPhones: phones,
      blocksByReason: { ...this.blocksByReason },
      wouldBlock: this.wouldBlock,
      newPermanent: [...this.permanent].sort((a, b) => a.at - b.at),
    };
    if (this.series) {
      const bucket = this.q.bucketSeconds ?? 0;
      out.series = this.series.map((attacks, i) => ({ at: this.q.from + i * bucket, attacks }));
    }
    return out;
  }
}

/** `first` (newer) users, then the rest, without duplicates, bounded. */
function mergeUsers(first: readonly string[], rest: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const u of [...first, ...rest]) {
    if (seen.has(u)) continue;
    seen.add(u);
    out.push(u);
    if (out.length === MAX_USERS_PER_IP) break;
  }
  return out;
}

function finishIp(a: IpAcc): TopIp {
  return {
    ip: a.ip,
    country: a.country,
    userAgent: a.userAgent,
    users: [...a.users],
    attempts: a.attempts,
    events: a.events,
    rules: RULES.filter((r) => a.ruleSet.has(r)),
    firstAt: a.firstAt,
    lastAt: a.lastAt,
  };
}

function byAttempts(a: TopIp, b: TopIp): number {
  return b.attempts - a.attempts || b.events - a.events || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
}

function topOf(m: Map<string, number>, n: number): Array<[string, number]> {
  return [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}
