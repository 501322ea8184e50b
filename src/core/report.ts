/**
 * The attack report: one model built from a period's summary (and the period before, for
 * comparison), two renderings (plain text and HTML). The daily mail and `sipprot report`
 * both use it, so what an admin reads in the terminal is what the mail says.
 *
 * Pure: times come in as epoch seconds and are shown through a formatter the caller
 * passes (local time lives at the edges, not here).
 */
import { countryName } from './countries.js';
import {
  clip,
  countryText,
  escapeHtml,
  formatUtc,
  htmlPage,
  htmlTable,
  plural,
  printable,
  textTable,
} from './report-format.js';
import type { Decision, DecisionReason, Rule } from './types.js';

/** One attacking address as the store summarises it (structurally the store's TopIp). */
export interface ReportIp {
  ip: string;
  country: string | null;
  userAgent: string | null;
  users: string[];
  attempts: number;
  events: number;
  rules: Rule[];
  firstAt: number;
  lastAt: number;
}

/** What the report needs of the store's AttackSummary (which satisfies it as is). */
export interface ReportSummary {
  from: number;
  to: number;
  attacks: number;
  attempts: number;
  attacksByRule: Record<Rule, number>;
  distinctIps: number;
  topIps: ReportIp[];
  distinctUsers: number;
  topUsers: Array<{ user: string; events: number }>;
  topCountries: Array<{ country: string; events: number }>;
  topUserAgents: Array<{ userAgent: string; events: number }>;
  misconfiguredPhones: ReportIp[];
  blocksByReason: Partial<Record<DecisionReason, number>>;
  newPermanent: Decision[];
}

export interface ReportInput {
  summary: ReportSummary;
  /** The period before (the day before), for the comparison; null when unknown. */
  previous: ReportSummary | null;
  /** How the period is named, e.g. `2024-05-01`. */
  label: string;
  /** True when the period is still running (today's report): "so far" wording. */
  partial?: boolean;
  host?: string | null;
}

export interface ReportCount {
  key: string;
  label: string;
  value: number;
  /** Same count for the period before; null without one. */
  previous: number | null;
}

export interface ReportAttacker extends ReportIp {
  countryName: string | null;
  misconfiguredPhone: boolean;
}

export interface ReportPhone {
  ip: string;
  country: string | null;
  countryName: string | null;
  users: string[];
  attempts: number;
  userAgent: string | null;
  lastAt: number;
  /** The sentence the admin acts on (the manual's deleted-extension case). */
  advice: string;
}

export interface ReportPermanent {
  ip: string;
  at: number;
  reason: DecisionReason;
  country: string | null;
  countryName: string | null;
  timesBlocked: number;
  note: string | null;
}

export interface Report {
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
  topUserAgents: Array<{ userAgent: string; events: number }>;
}

export interface RenderOptions {
  /** Epoch seconds → text; default `YYYY-MM-DD HH:MM UTC`. */
  formatTime?: (t: number) => string;
}

const RULES: readonly Rule[] = ['scanner', 'auth-failures', 'enumeration'];

export const RULE_LABELS: Readonly<Record<Rule, string>> = {
  scanner: 'scanner (blocked user agent)',
  'auth-failures': 'failed authentication (password guessing)',
  enumeration: 'extension enumeration',
};

export const REASON_LABELS: Readonly<Record<DecisionReason, string>> = {
  ...RULE_LABELS,
  'deny-list': 'deny list',
  country: 'blocked country',
  manual: 'blocked by an administrator',
  expired: 'expired',
  threshold: 'repeat offender (BLOCK_THRESHOLD)',
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
  return {
    title: `sipprot attack report${on}: ${when}`,
    subject: `sipprot${on}: ${when}: ${headline}`,
    host,
    period: { from: s.from, to: s.to, label: input.label, partial },
    quiet,
    totals,
    attacksByRule: RULES.map((r) => count(r, RULE_LABELS[r], (x) => x.attacksByRule[r] ?? 0)),
    blocksByReason,
    topAttackers: s.topIps.map((t) => ({
      ...t,
      users: [...t.users],
      rules: [...t.rules],
      countryName: t.country ? countryName(t.country) : null,
      misconfiguredPhone: phoneIps.has(t.ip),
    })),
    misconfiguredPhones: s.misconfiguredPhones.map((m) => ({
      ip: m.ip,
      country: m.country,
      countryName: m.country ? countryName(m.country) : null,
      users: [...m.users],
      attempts: m.attempts,
      userAgent: m.userAgent,
      lastAt: m.lastAt,
      advice: phoneAdvice(m),
    })),
    newPermanent: s.newPermanent.map((d) => ({
      ip: d.ip,
      at: d.at,
      reason: d.reason,
      country: d.country,
      countryName: d.country ? countryName(d.country) : null,
      timesBlocked: d.timesBlocked,
      note: d.note,
    })),
    topCountries: s.topCountries.map((c) => ({ ...c, name: countryName(c.country) })),
    topUsers: s.topUsers.map((u) => ({ ...u })),
    topUserAgents: s.topUserAgents.map((u) => ({ ...u })),
  };
}

/** "phone at X keeps failing as user 104 — likely a deleted extension or changed password". */
export function phoneAdvice(m: Pick<ReportIp, 'ip' | 'users'>): string {
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

export function renderReportText(r: Report, opts: RenderOptions = {}): string {
  const fmt = opts.formatTime ?? formatUtc;
  const out: string[] = [r.title, '='.repeat(Math.min(r.title.length, 78)), ''];
  out.push(`Period: ${fmt(r.period.from)} to ${fmt(r.period.to)}${r.period.partial ? ' (so far)' : ''}`, '');
  if (r.quiet) out.push('No attacks and no blocks in this period.', '');
  const hasPrev = r.totals.some((t) => t.previous !== null);
  out.push('Totals');
  out.push(
    textTable(
      hasPrev ? ['', 'count', 'day before', 'change'] : ['', 'count'],
      r.totals.map((t) => (hasPrev ? [t.label, t.value, t.previous ?? '-', change(t)] : [t.label, t.value])),
      [false, true, true, true],
    ),
    '',
  );
  if (r.misconfiguredPhones.length > 0) {
    out.push('Misconfigured phones (probably not attackers)');
    for (const m of r.misconfiguredPhones) {
      const facts = [plural(m.attempts, 'failed attempt'), `last ${fmt(m.lastAt)}`];
      if (m.country) facts.push(countryText(m.country, m.countryName));
      if (m.userAgent) facts.push(printable(m.userAgent));
      out.push(`  * ${m.advice}`, `    (${facts.join('; ')})`);
    }
    out.push('');
  }
  if (!r.quiet) {
    out.push('Attacks by rule');
    out.push(
      textTable(
        ['rule', 'attacks', ...(hasPrev ? ['day before'] : [])],
        r.attacksByRule.map((c) => [c.label, c.value, ...(hasPrev ? [c.previous ?? '-'] : [])]),
        [false, true, true],
      ),
      '',
    );
  }
  if (r.blocksByReason.length > 0) {
    out.push('Blocks by reason');
    out.push(
      textTable(
        ['reason', 'blocks', ...(hasPrev ? ['day before'] : [])],
        r.blocksByReason.map((c) => [c.label, c.value, ...(hasPrev ? [c.previous ?? '-'] : [])]),
        [false, true, true],
      ),
      '',
    );
  }
  if (r.topAttackers.length > 0) {
    out.push('Top attacking addresses');
    out.push(
      textTable(
        ['address', 'country', 'attempts', 'rules', 'user agent', 'users targeted'],
        r.topAttackers.map((a) => [
          a.misconfiguredPhone ? `${a.ip} (phone?)` : a.ip,
          countryText(a.country, a.countryName),
          a.attempts,
          a.rules.join(', '),
          clip(a.userAgent ?? '-', 40),
          clip(a.users.join(', ') || '-', 50),
        ]),
        [false, false, true],
      ),
      '',
    );
  }
  if (r.newPermanent.length > 0) {
    out.push('New permanent blocks');
    for (const b of r.newPermanent) {
      const where = b.country ? `, ${countryText(b.country, b.countryName)}` : '';
      const note = b.note ? `: ${printable(b.note)}` : '';
      out.push(`  * ${b.ip} at ${fmt(b.at)} (${REASON_LABELS[b.reason] ?? b.reason}${where})${note}`);
    }
    out.push('');
  }
  const tops: Array<[string, Array<[string, number]>]> = [
    ['Top countries', r.topCountries.map((c) => [countryText(c.country, c.name), c.events])],
    ['Most targeted users/extensions', r.topUsers.map((u) => [u.user, u.events])],
    ['Top user agents', r.topUserAgents.map((u) => [clip(u.userAgent, 60), u.events])],
  ];
  for (const [title, rows] of tops) {
    if (rows.length === 0) continue;
    out.push(title, textTable(['', 'attacks'], rows, [false, true]), '');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

export function renderReportHtml(r: Report, opts: RenderOptions = {}): string {
  const fmt = opts.formatTime ?? formatUtc;
  const hasPrev = r.totals.some((t) => t.previous !== null);
  const parts: string[] = [];
  parts.push(`<h1 style="font-size:18px">${esc(r.title)}</h1>`);
  parts.push(
    `<p>Period: ${esc(fmt(r.period.from))} to ${esc(fmt(r.period.to))}${r.period.partial ? ' (so far)' : ''}</p>`,
  );
  if (r.quiet) parts.push('<p><strong>No attacks and no blocks in this period.</strong></p>');
  parts.push(
    section(
      'Totals',
      htmlTable(
        hasPrev ? ['', 'Count', 'Day before', 'Change'] : ['', 'Count'],
        r.totals.map((t) =>
          hasPrev ? [t.label, t.value, t.previous ?? '-', change(t)] : [t.label, t.value],
        ),
      ),
    ),
  );
  if (r.misconfiguredPhones.length > 0) {
    const items = r.misconfiguredPhones.map((m) => {
      const facts = [plural(m.attempts, 'failed attempt'), `last ${fmt(m.lastAt)}`];
      if (m.country) facts.push(countryText(m.country, m.countryName));
      if (m.userAgent) facts.push(m.userAgent);
      return `<li>${esc(m.advice)}<br><small>${esc(facts.join('; '))}</small></li>`;
    });
    parts.push(
      '<div style="background:#fff4ce;border:1px solid #e0b000;padding:8px;margin:12px 0">' +
        '<h2 style="font-size:15px;margin:0 0 6px">Misconfigured phones (probably not attackers)</h2>' +
        `<ul style="margin:0">${items.join('')}</ul></div>`,
    );
  }
  if (!r.quiet) {
    parts.push(
      section(
        'Attacks by rule',
        htmlTable(
          ['Rule', 'Attacks', ...(hasPrev ? ['Day before'] : [])],
          r.attacksByRule.map((c) => [c.label, c.value, ...(hasPrev ? [c.previous ?? '-'] : [])]),
        ),
      ),
    );
  }
  if (r.blocksByReason.length > 0) {
    parts.push(
      section(
        'Blocks by reason',
        htmlTable(
          ['Reason', 'Blocks', ...(hasPrev ? ['Day before'] : [])],
          r.blocksByReason.map((c) => [c.label, c.value, ...(hasPrev ? [c.previous ?? '-'] : [])]),
        ),
      ),
    );
  }
  if (r.topAttackers.length > 0) {
    parts.push(
      section(
        'Top attacking addresses',
        htmlTable(
          ['Address', 'Country', 'Attempts', 'Rules', 'User agent', 'Users targeted'],
          r.topAttackers.map((a) => [
            a.misconfiguredPhone ? `${a.ip} (phone?)` : a.ip,
            countryText(a.country, a.countryName),
            a.attempts,
            a.rules.join(', '),
            a.userAgent ?? '-',
            a.users.join(', ') || '-',
          ]),
        ),
      ),
    );
  }
  if (r.newPermanent.length > 0) {
    parts.push(
      section(
        'New permanent blocks',
        htmlTable(
          ['Address', 'When', 'Reason', 'Country', 'Note'],
          r.newPermanent.map((b) => [
            b.ip,
            fmt(b.at),
            REASON_LABELS[b.reason] ?? b.reason,
            b.country ? countryText(b.country, b.countryName) : '-',
            b.note ?? '',
          ]),
        ),
      ),
    );
  }
  const tops: Array<[string, string, Array<[string, number]>]> = [
    ['Top countries', 'Country', r.topCountries.map((c) => [countryText(c.country, c.name), c.events])],
    ['Most targeted users/extensions', 'User', r.topUsers.map((u) => [u.user, u.events])],
    ['Top user agents', 'User agent', r.topUserAgents.map((u) => [u.userAgent, u.events])],
  ];
  for (const [title, head, rows] of tops) {
    if (rows.length > 0) parts.push(section(title, htmlTable([head, 'Attacks'], rows)));
  }
  return htmlPage(r.title, parts.join('\n'));
}

function change(c: ReportCount): string {
  if (c.previous === null) return '';
  const d = c.value - c.previous;
  return d === 0 ? '=' : d > 0 ? `+${d}` : `${d}`;
}

function section(title: string, body: string): string {
  return `<h2 style="font-size:15px;margin:16px 0 6px">${esc(title)}</h2>\n${body}`;
}

const esc = escapeHtml;

function sumValues(o: Partial<Record<string, number>>): number {
  let n = 0;
  for (const v of Object.values(o)) n += v ?? 0;
  return n;
}
