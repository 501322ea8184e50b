/**
 * The two renderings of the attack report (src/core/report.ts builds the model): plain
 * text for the terminal and the mail's text part, escaped HTML for the mail and the UI.
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
import { REASON_LABELS, type RenderOptions, type Report, type ReportCount } from './report.js';

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
