/**
 * The two renderings of the attack report (report.ts builds the model): plain text for the
 * terminal and the mail's text part, escaped HTML for the mail and the UI. Both show the same
 * sections in the same order; the rows of each table are built once (below) and only the
 * framing differs: text clips long cells to stay under ~110 columns and writes lists as
 * bullets, HTML escapes every cell and shows the phones in a highlighted box.
 */

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
} from './format.js';
import {
  REASON_LABELS,
  type RenderOptions,
  type Report,
  type ReportAttacker,
  type ReportCount,
  type ReportPhone,
} from './report.js';

type Row = Array<string | number>;
/** One "top N" table: its title, the name of its first column in HTML, its rows. */
type Top = [title: string, head: string, rows: Array<[string, number]>];

export function renderReportText(r: Report, opts: RenderOptions = {}): string {
  const fmt = opts.formatTime ?? formatUtc;
  const prev = hasPrevious(r);
  const out: string[] = [r.title, '='.repeat(Math.min(r.title.length, 78)), ''];
  const table = (title: string, headers: string[], rows: Row[], right: boolean[]) =>
    out.push(title, textTable(headers, rows, right), '');
  if (r.observe) out.push(`!! ${r.observe.text}`, '');
  out.push(`Period: ${period(r, fmt)}`, '');
  if (r.quiet) out.push('No attacks and no blocks in this period.', '');
  table('Totals', totalsHeaders(prev, 'count', 'day before', 'change'), totalsRows(r, prev), [
    false,
    true,
    true,
    true,
  ]);
  if (r.misconfiguredPhones.length > 0) {
    out.push('Misconfigured phones (probably not attackers)');
    for (const m of r.misconfiguredPhones) {
      out.push(`  * ${m.advice}`, `    (${phoneFacts(m, fmt, printable).join('; ')})`);
    }
    out.push('');
  }
  const counts = (title: string, first: string, unit: string, c: ReportCount[]) =>
    table(title, countHeaders(prev, first, unit, 'day before'), countRows(c, prev), [false, true, true]);
  if (!r.quiet) counts('Attacks by rule', 'rule', 'attacks', r.attacksByRule);
  if (r.blocksByReason.length > 0) counts('Blocks by reason', 'reason', 'blocks', r.blocksByReason);
  if (r.topAttackers.length > 0) {
    const rows = r.topAttackers.map((a) =>
      attackerRow(
        a,
        (ua) => clip(ua, 40),
        (users) => clip(users, 50),
      ),
    );
    table('Top attacking addresses', ATTACKER_HEADERS, rows, [false, false, true]);
  }
  if (r.newPermanent.length > 0) {
    out.push('New permanent blocks');
    for (const b of r.newPermanent) {
      const where = b.country ? `, ${countryText(b.country, b.countryName)}` : '';
      const note = b.note ? `: ${printable(b.note)}` : '';
      out.push(`  * ${b.ip} at ${fmt(b.at)} (${reasonLabel(b.reason)}${where})${note}`);
    }
    out.push('');
  }
  for (const [title, head, rows] of tops(r, (ua) => clip(ua, 60))) {
    if (rows.length > 0) table(title, [head.toLowerCase(), 'attacks'], rows, [false, true]);
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

export function renderReportHtml(r: Report, opts: RenderOptions = {}): string {
  const fmt = opts.formatTime ?? formatUtc;
  const prev = hasPrevious(r);
  const parts: string[] = [`<h1 style="font-size:18px">${esc(r.title)}</h1>`];
  const table = (title: string, headers: string[], rows: Row[]) =>
    parts.push(section(title, htmlTable(headers, rows)));
  if (r.observe) {
    parts.push(
      '<p style="background:#fde8e8;border:2px solid #c81e1e;padding:8px;font-weight:bold">' +
        `${esc(r.observe.text)}</p>`,
    );
  }
  parts.push(`<p>Period: ${esc(period(r, fmt))}</p>`);
  if (r.quiet) parts.push('<p><strong>No attacks and no blocks in this period.</strong></p>');
  table('Totals', totalsHeaders(prev, 'Count', 'Day before', 'Change'), totalsRows(r, prev));
  if (r.misconfiguredPhones.length > 0) parts.push(phonesBox(r.misconfiguredPhones, fmt));
  const counts = (title: string, first: string, unit: string, c: ReportCount[]) =>
    table(title, countHeaders(prev, first, unit, 'Day before'), countRows(c, prev));
  if (!r.quiet) counts('Attacks by rule', 'Rule', 'Attacks', r.attacksByRule);
  if (r.blocksByReason.length > 0) counts('Blocks by reason', 'Reason', 'Blocks', r.blocksByReason);
  if (r.topAttackers.length > 0) {
    const headers = ATTACKER_HEADERS.map((h) => h[0]!.toUpperCase() + h.slice(1));
    table(
      'Top attacking addresses',
      headers,
      r.topAttackers.map((a) => attackerRow(a, same, same)),
    );
  }
  if (r.newPermanent.length > 0) {
    table(
      'New permanent blocks',
      ['Address', 'When', 'Reason', 'Country', 'Note'],
      r.newPermanent.map((b) => [
        b.ip,
        fmt(b.at),
        reasonLabel(b.reason),
        b.country ? countryText(b.country, b.countryName) : '-',
        b.note ?? '',
      ]),
    );
  }
  for (const [title, head, rows] of tops(r, same)) {
    if (rows.length > 0) table(title, [head, 'Attacks'], rows);
  }
  return htmlPage(r.title, parts.join('\n'));
}

const ATTACKER_HEADERS = ['address', 'country', 'attempts', 'rules', 'user agent', 'users targeted'];

const same = (s: string) => s;
const esc = escapeHtml;

function hasPrevious(r: Report): boolean {
  return r.totals.some((t) => t.previous !== null);
}

function period(r: Report, fmt: (t: number) => string): string {
  return `${fmt(r.period.from)} to ${fmt(r.period.to)}${r.period.partial ? ' (so far)' : ''}`;
}

function totalsHeaders(prev: boolean, count: string, before: string, change: string): string[] {
  const first = count === 'Count' ? 'Total' : 'total';
  return prev ? [first, count, before, change] : [first, count];
}

function totalsRows(r: Report, prev: boolean): Row[] {
  return r.totals.map((t) => (prev ? [t.label, t.value, t.previous ?? '-', change(t)] : [t.label, t.value]));
}

function countHeaders(prev: boolean, first: string, unit: string, before: string): string[] {
  return [first, unit, ...(prev ? [before] : [])];
}

function countRows(counts: ReportCount[], prev: boolean): Row[] {
  return counts.map((c) => [c.label, c.value, ...(prev ? [c.previous ?? '-'] : [])]);
}

/** A top attacker's cells; `ua` and `users` shape the two free-text cells for the medium. */
function attackerRow(a: ReportAttacker, ua: (s: string) => string, users: (s: string) => string): Row {
  return [
    a.misconfiguredPhone ? `${a.ip} (phone?)` : a.ip,
    countryText(a.country, a.countryName),
    a.attempts,
    a.rules.join(', '),
    ua(a.userAgent ?? '-'),
    users(a.users.join(', ') || '-'),
  ];
}

/** What the admin needs to find the phone; `ua` makes its user agent safe for the medium. */
function phoneFacts(m: ReportPhone, fmt: (t: number) => string, ua: (s: string) => string): string[] {
  const facts = [plural(m.attempts, 'failed attempt'), `last ${fmt(m.lastAt)}`];
  if (m.country) facts.push(countryText(m.country, m.countryName));
  if (m.userAgent) facts.push(ua(m.userAgent));
  return facts;
}

function phonesBox(phones: ReportPhone[], fmt: (t: number) => string): string {
  const items = phones.map(
    (m) => `<li>${esc(m.advice)}<br><small>${esc(phoneFacts(m, fmt, same).join('; '))}</small></li>`,
  );
  return (
    '<div style="background:#fff4ce;border:1px solid #e0b000;padding:8px;margin:12px 0">' +
    '<h2 style="font-size:15px;margin:0 0 6px">Misconfigured phones (probably not attackers)</h2>' +
    `<ul style="margin:0">${items.join('')}</ul></div>`
  );
}

function tops(r: Report, ua: (s: string) => string): Top[] {
  return [
    ['Top countries', 'Country', r.topCountries.map((c) => [countryText(c.country, c.name), c.events])],
    ['Most targeted users/extensions', 'User', r.topUsers.map((u) => [u.user, u.events])],
    [
      'Top user agents',
      'User agent',
      r.topUserAgents.map((u) => [u.userAgent === null ? '(no user agent)' : ua(u.userAgent), u.events]),
    ],
  ];
}

function reasonLabel(reason: keyof typeof REASON_LABELS): string {
  return REASON_LABELS[reason] ?? reason;
}

function change(c: ReportCount): string {
  if (c.previous === null) return '';
  const d = c.value - c.previous;
  return d === 0 ? '=' : d > 0 ? `+${d}` : `${d}`;
}

function section(title: string, body: string): string {
  return `<h2 style="font-size:15px;margin:16px 0 6px">${esc(title)}</h2>\n${body}`;
}
