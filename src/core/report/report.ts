/**
 * The attack report: one model built from a period's summary (and the period before, for
 * comparison), two renderings (plain text and HTML). The daily mail and `sipprot report`
 * both use it, so what an admin reads in the terminal is what the mail says.
 *
 * Pure: times come in as epoch seconds and are shown through a formatter the caller
 * passes (local time lives at the edges, not here).
 */
import { countryName } from '../geoip/countries.js';
import type { AttackSummary, TopIp } from '../records.js';
import { type Decision, type DecisionReason, RULES, type Rule } from '../types.js';
import { plural, printable, sumValues } from './format.js';

/** What the report is built from: the store's AttackSummary of a period (its series unused). */
export type ReportSummary = Omit<AttackSummary, 'series'>;

interface ReportInput {
  summary: ReportSummary;
  /** The period before (the day before), for the comparison; null when unknown. */
  previous: ReportSummary | null;
  /** How the period is named, e.g. `2024-05-01`. */
  label: string;
  /** True when the period is still running (today's report): "so far" wording. */
  partial?: boolean;
  host?: string | null;
  /** OBSERVE in force (rules reported, not enforced; ['all'] = nothing blocked). */
  observe?: readonly string[];
}

export interface ReportCount {
  key: string;
  label: string;
  value: number;
  /** Same count for the period before; null without one. */
  previous: number | null;
}

/** Country names are looked up once, here, so that both renderings and the JSON agree. */
interface Named {
  countryName: string | null;
}

export interface ReportAttacker extends TopIp, Named {
  misconfiguredPhone: boolean;
}

export interface ReportPhone
  extends Pick<TopIp, 'ip' | 'country' | 'users' | 'attempts' | 'userAgent' | 'lastAt'>,
    Named {
  /** The sentence the admin acts on (the manual's deleted-extension case). */
  advice: string;
}

type ReportPermanent = Pick<Decision, 'ip' | 'at' | 'reason' | 'country' | 'timesBlocked' | 'note'> & Named;

export interface Report {
  /**
   * Set when detection did not block everything it detected: OBSERVE in force, or "would
   * block" decisions in the period. Both renderings put it first, above the totals.
   */
  observe: { rules: string[]; wouldBlock: number; text: string } | null;
  title: string;
  /** A mail subject line carrying the headline numbers. */
  subject: string;
  host: string | null;
  period: { from: number; to: number; label: string; partial: boolean };
  /** Nothing happened in the period. */
  quiet: boolean;
  totals: ReportCount[];
  attacksByRule: ReportCount[];
  blocksByReason: ReportCount[];
  topAttackers: ReportAttacker[];
  misconfiguredPhones: ReportPhone[];
  newPermanent: ReportPermanent[];
  topCountries: Array<{ country: string; name: string | null; events: number }>;
  topUsers: Array<{ user: string; events: number }>;
  /** null: events without a User-Agent. */
  topUserAgents: Array<{ userAgent: string | null; events: number }>;
}

export interface RenderOptions {
  /** Epoch seconds → text; default `YYYY-MM-DD HH:MM UTC`. */
  formatTime?: (t: number) => string;
}

const RULE_LABELS: Readonly<Record<Rule, string>> = {
  scanner: 'scanner (blocked user agent)',
  'auth-failures': 'failed authentication (password guessing)',
  enumeration: 'extension enumeration',
  'toll-fraud': 'toll-fraud probing (calls to outside numbers)',
  'slow-attack': 'slow password guessing (hour/day window)',
  distributed: 'distributed guessing (one extension, many addresses)',
  flood: 'request flood',
};

export const REASON_LABELS: Readonly<Record<DecisionReason, string>> = {
  ...RULE_LABELS,
  'deny-list': 'deny list',
  country: 'blocked country',
  manual: 'blocked by an administrator',
  expired: 'expired',
  threshold: 'repeat offender (BLOCK_THRESHOLD)',
  prefix: 'same prefix as blocked attackers (PREFIX_BLOCK)',
};

export function buildReport(input: ReportInput): Report {
  const s = input.summary;
  const p = input.previous;
  const partial = input.partial ?? false;
  const host = input.host ?? null;
  const blocks = (x: ReportSummary) => sumValues(x.blocksByReason);
  const phoneIps = new Set(s.misconfiguredPhones.map((m) => m.ip));
  const count = (key: string, label: string, get: (x: ReportSummary) => number): ReportCount => ({
    key,
    label,
    value: get(s),
    previous: p ? get(p) : null,
  });
  const totals = [
    count('attacks', 'Attacks detected', (x) => x.attacks),
    count('attempts', 'Failed attempts and probes', (x) => x.attempts),
    count('addresses', 'Attacking addresses', (x) => x.distinctIps),
    count('users', 'Users/extensions targeted', (x) => x.distinctUsers),
    count('blocks', 'Blocks', blocks),
    count('permanent', 'New permanent blocks', (x) => x.newPermanent.length),
    count('phones', 'Misconfigured phones', (x) => x.misconfiguredPhones.length),
  ];
  const reasons = new Set<DecisionReason>([
    ...(Object.keys(s.blocksByReason) as DecisionReason[]),
    ...(p ? (Object.keys(p.blocksByReason) as DecisionReason[]) : []),
  ]);
  const blocksByReason = [...reasons]
    .map((r) => count(r, REASON_LABELS[r] ?? r, (x) => x.blocksByReason[r] ?? 0))
    .sort((a, b) => b.value - a.value || a.key.localeCompare(b.key));
  const quiet = s.attacks === 0 && blocks(s) === 0 && s.newPermanent.length === 0;
  const when = partial ? `${input.label} (so far)` : input.label;
  const on = host ? ` on ${host}` : '';
  const headline = quiet
    ? 'no attacks'
    : `${plural(s.attacks, 'attack')}, ${plural(blocks(s), 'block')}` +
      (s.misconfiguredPhones.length > 0
        ? `, ${plural(s.misconfiguredPhones.length, 'misconfigured phone')}`
        : '');
  const observe = observeNotice(input.observe ?? [], s.wouldBlock ?? 0);
  return {
    observe,
    title: `sipprot attack report${on}: ${when}`,
    subject: `${observe ? '[OBSERVE MODE] ' : ''}sipprot${on}: ${when}: ${headline}`,
    host,
    period: { from: s.from, to: s.to, label: input.label, partial },
    quiet,
    totals,
    // The manual's three rules always; the others (issue 12) when they saw something.
    attacksByRule: RULES.filter(
      (r, i) => i < 3 || (s.attacksByRule[r] ?? 0) > 0 || (p?.attacksByRule[r] ?? 0) > 0,
    ).map((r) => count(r, RULE_LABELS[r], (x) => x.attacksByRule[r] ?? 0)),
    blocksByReason,
    topAttackers: s.topIps.map((t) => ({
      ...t,
      users: [...t.users],
      rules: [...t.rules],
      countryName: nameOf(t.country),
      misconfiguredPhone: phoneIps.has(t.ip),
    })),
    misconfiguredPhones: s.misconfiguredPhones.map(({ ip, country, users, attempts, userAgent, lastAt }) => ({
      ip,
      country,
      countryName: nameOf(country),
      users: [...users],
      attempts,
      userAgent,
      lastAt,
      advice: phoneAdvice({ ip, users }),
    })),
    newPermanent: s.newPermanent.map(({ ip, at, reason, country, timesBlocked, note }) => ({
      ip,
      at,
      reason,
      country,
      countryName: nameOf(country),
      timesBlocked,
      note,
    })),
    topCountries: s.topCountries.map((c) => ({ ...c, name: countryName(c.country) })),
    topUsers: s.topUsers.map((u) => ({ ...u })),
    topUserAgents: s.topUserAgents.map((u) => ({ ...u })),
  };
}

/**
 * The OBSERVE banner: an admin reading "12 attacks, 0 blocks" must not think sipprot chose
 * not to block; it was told not to.
 */
function observeNotice(rules: readonly string[], wouldBlock: number): Report['observe'] {
  if (rules.length === 0 && wouldBlock === 0) return null;
  const would =
    wouldBlock > 0
      ? ` ${plural(wouldBlock, "'would block' decision")} in this period were NOT enforced.`
      : '';
  const text = rules.includes('all')
    ? `OBSERVE MODE: sipprot blocks nothing it detects (OBSERVE=all); attackers are only reported.${would} Set OBSERVE= (empty) to protect.`
    : rules.length > 0
      ? `OBSERVE MODE for ${rules.join(', ')}: these rules report and do NOT block.${would}`
      : `Rules in OBSERVE mode during this period did not block.${would}`;
  return { rules: [...rules], wouldBlock, text };
}

function nameOf(country: string | null): string | null {
  return country ? countryName(country) : null;
}

/** "phone at X keeps failing as user 104 — likely a deleted extension or changed password". */
export function phoneAdvice(m: Pick<TopIp, 'ip' | 'users'>): string {
  const who =
    m.users.length === 0
      ? ''
      : m.users.length === 1
        ? ` as user ${m.users[0]}`
        : ` as users ${m.users.slice(0, 5).join(', ')}`;
  return printable(
    `phone at ${m.ip} keeps failing${who} — likely a deleted extension or changed password; ` +
      `reset the phone (or correct its credentials), then: sipprot unblock ${m.ip}`,
  );
}
