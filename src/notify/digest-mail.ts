/**
 * The per-attack digest mail: every block since the last digest in one compact table.
 * A burst of thousands of blocks is still one mail: the subject summarises, the text part
 * lists every address; past HTML_MAX_ROWS the HTML part is left out so that no mail
 * client can show a shortened list instead of the full one.
 */
import { countryName } from '../core/geoip/countries.js';
import {
  count,
  countryText,
  escapeHtml,
  htmlPage,
  htmlTable,
  plural,
  textTable,
} from '../core/report/format.js';
import { phoneAdvice, REASON_LABELS } from '../core/report/report.js';
import { mailHeader } from '../core/text/mail.js';
import { terminalText } from '../core/text/terminal.js';
import type { Decision } from '../core/types.js';

export const HTML_MAX_ROWS = 500;
/**
 * Rows listed in one mail at most (~200 bytes each: the free-text cells are cut below);
 * the rest are counted, not listed (issue 10 item 14: 1,000 blocks with 63 KB User-Agents
 * made a 63 MB mail, 10,000 made the build throw). A digest stays under ~300 KB.
 */
export const TEXT_MAX_ROWS = 1000;
/** The User-Agent and users cells: enough to recognise a tool, never a wall of text. */
const UA_CELL = 60;
/** Addresses named past the table (~16 bytes each): the mail stays under ~1 MB. */
const ADDRESS_LIST_MAX = 50_000;
const USERS_CELL = 40;

interface DigestMail {
  subject: string;
  text: string;
  html: string | null;
}

interface DigestMailOptions {
  /** Start of the period covered (the previous digest), epoch seconds. */
  from: number;
  to: number;
  host: string | null;
  formatTime: (t: number) => string;
  /** OBSERVE in force: the rules that report and do not block (a line at the top). */
  observe?: readonly string[];
}

/** The digest lists blocks; with rules in OBSERVE mode it must say what it does not cover. */
function observeLine(observe: readonly string[] | undefined): string | null {
  if (!observe || observe.length === 0) return null;
  return observe.includes('all')
    ? 'OBSERVE MODE: sipprot blocks nothing it detects (OBSERVE=all); only lists and manual blocks are enforced.'
    : `OBSERVE MODE for ${observe.join(', ')}: these rules report and do NOT block; their attackers are not listed here.`;
}

/** `decisions` oldest first; only block and permanent decisions are expected. */
export function buildDigestMail(decisions: Decision[], o: DigestMailOptions): DigestMail {
  const ips = new Set(decisions.map((d) => d.ip));
  const byReason = new Map<string, number>();
  for (const d of decisions) byReason.set(d.reason, (byReason.get(d.reason) ?? 0) + 1);
  const reasons = [...byReason.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const permanent = decisions.filter((d) => d.action === 'permanent').length;
  const phones = new Map<string, Decision>();
  for (const d of decisions) if (d.misconfiguredPhone) phones.set(d.ip, d);
  const on = o.host ? ` on ${o.host}` : '';
  const huge = decisions.length > HTML_MAX_ROWS;

  const first = decisions[0];
  let subject: string;
  if (decisions.length === 1 && first) {
    const where = first.country ? `, ${countryName(first.country) ?? first.country}` : '';
    const what = first.action === 'permanent' ? 'permanently blocked' : 'blocked';
    subject = `sipprot${on}: ${what} ${first.ip} (${first.reason}${where})`;
  } else {
    const reasonText = reasons
      .slice(0, 3)
      .map(([r, n]) => `${r} ${count(n)}`)
      .join(', ');
    subject =
      `sipprot${on}: ${plural(ips.size, 'address', 'addresses')} blocked since ${o.formatTime(o.from)} (${reasonText}` +
      `${reasons.length > 3 ? ', ...' : ''})` +
      (permanent > 0 ? `, ${permanent} permanent` : '') +
      (huge ? '; full list in the mail text' : '');
  }

  const listed = decisions.slice(0, TEXT_MAX_ROWS);
  const fleet = decisions.some((d) => d.host !== undefined);
  const rows = listed.map((d) => [
    o.formatTime(d.at),
    d.ip,
    d.action === 'permanent'
      ? 'permanent'
      : d.expiresAt === null
        ? 'block'
        : `until ${o.formatTime(d.expiresAt)}`,
    d.reason,
    d.country ? countryText(d.country, countryName(d.country)) : '-',
    d.attempts,
    terminalText(d.userAgent ?? '-', UA_CELL),
    terminalText(d.users.join(',') || '-', USERS_CELL),
    // Cluster mode: which host saw it (the mail covers the whole fleet).
    ...(fleet ? [d.host ?? '-'] : []),
  ]);
  const headers = ['time', 'address', 'block', 'reason', 'country', 'attempts', 'user agent', 'users'];
  if (fleet) headers.push('host');

  const intro =
    `sipprot blocked ${plural(ips.size, 'address', 'addresses')}${on} between ${o.formatTime(o.from)} and ` +
    `${o.formatTime(o.to)} (${plural(decisions.length, 'block decision')}).`;
  const reasonLines = reasons.map(([r, n]) => `  ${REASON_LABELS[r as Decision['reason']] ?? r}: ${n}`);
  const banner = observeLine(o.observe);
  const text: string[] = [...(banner ? [`!! ${banner}`, ''] : []), intro, '', 'By reason:', ...reasonLines];
  if (permanent > 0) text.push('', `Permanent blocks: ${permanent}`);
  if (phones.size > 0) {
    text.push('', 'Misconfigured phones (probably not attackers):');
    for (const d of phones.values()) text.push(`  * ${phoneAdvice(d)}`);
  }
  text.push('', textTable(headers, rows, [false, false, false, false, false, true, false, false, false]));
  text.push(...restLines(decisions.slice(listed.length)));
  text.push('', 'Lift a block: sipprot unblock ADDRESS. Never block an address: sipprot allow add ADDRESS.');

  let html: string | null = null;
  if (!huge) {
    const parts = [
      ...(banner
        ? [
            `<p style="background:#fde8e8;border:2px solid #c81e1e;padding:8px"><strong>${escapeHtml(banner)}</strong></p>`,
          ]
        : []),
      `<p>${escapeHtml(intro)}</p>`,
      `<p>${reasons.map(([r, n]) => `${escapeHtml(REASON_LABELS[r as Decision['reason']] ?? r)}: ${n}`).join('<br>')}</p>`,
    ];
    if (phones.size > 0) {
      const items = [...phones.values()].map((d) => `<li>${escapeHtml(phoneAdvice(d))}</li>`).join('');
      parts.push(
        '<div style="background:#fff4ce;border:1px solid #e0b000;padding:8px;margin:12px 0">' +
          `<strong>Misconfigured phones (probably not attackers)</strong><ul style="margin:0">${items}</ul></div>`,
      );
    }
    parts.push(htmlTable(headers, rows));
    parts.push('<p>Lift a block: <code>sipprot unblock ADDRESS</code>.</p>');
    html = htmlPage(subject, parts.join('\n'));
  }
  return {
    subject: mailHeader(`${banner ? '[OBSERVE MODE] ' : ''}${subject}`),
    text: text.join('\n') + '\n',
    html,
  };
}

/** Past the table only the addresses (ours, ~16 bytes each): every one is still named. */
function restLines(rest: readonly Decision[]): string[] {
  if (rest.length === 0) return [];
  const ips = [...new Set(rest.map((d) => d.ip))];
  const shown = ips.slice(0, ADDRESS_LIST_MAX);
  const out = [
    '',
    `The other ${plural(ips.length, 'address', 'addresses')} blocked (details: sipprot history):`,
  ];
  for (let i = 0; i < shown.length; i += 8) out.push(`  ${shown.slice(i, i + 8).join(' ')} `);
  if (ips.length > shown.length) {
    out.push(`... and ${ips.length - shown.length} more (see: sipprot status --dynamic, sipprot history).`);
  }
  return out;
}

/**
 * The digest when the full one cannot be built or queued (issue 10 item 14: a failing
 * digest must never hold back the later ones): counts only, nothing from the network.
 */
export function digestSummaryMail(count: number, o: DigestMailOptions, why: string): DigestMail {
  const on = o.host ? ` on ${o.host}` : '';
  const subject = `sipprot${on}: ${plural(count, 'block decision')} since ${o.formatTime(o.from)}`;
  const text =
    `sipprot made ${plural(count, 'block decision')}${on} between ${o.formatTime(o.from)} and ${o.formatTime(o.to)}.\n` +
    `The full list could not be put in this mail (${terminalText(why, 200)}).\n` +
    'See: sipprot status --dynamic, and sipprot history.\n';
  return { subject: mailHeader(subject), text, html: null };
}
