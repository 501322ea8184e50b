/**
 * Small formatting helpers shared by the report and the attack digest mail: escaped HTML
 * tables and pages, aligned plain-text tables, and the wording of counts and countries.
 * Pure: no clock, no I/O. Escaping is core/text's (one module per output kind).
 */
import { escapeHtml } from '../text/html.js';
import { terminalSafe } from '../text/terminal.js';

/** Text from SIP headers for a report or mail line: core/text/terminal.ts (C0, C1, separators, bidi). */
export function printable(s: string): string {
  return terminalSafe(s);
}

export { escapeHtml };

/** A whole HTML document with a small inline style (mail clients drop <style> blocks unevenly). */
export function htmlPage(title: string, body: string): string {
  return (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8">' +
    `<title>${escapeHtml(title)}</title></head>\n` +
    '<body style="font-family:Arial,Helvetica,sans-serif;font-size:13px;color:#222">\n' +
    `${body}\n</body></html>\n`
  );
}

/**
 * A compact bordered table; every cell is escaped. The border is said twice: as table
 * attributes (mail clients that drop style attributes, text-mode clients) and as inline
 * styles (the rest): a report table never shows its cells run together.
 */
export function htmlTable(headers: string[], rows: Array<Array<string | number>>): string {
  const border = 'border:1px solid #999;padding:3px 8px;text-align:left;vertical-align:top';
  const th = `style="${border};background:#eee"`;
  const td = `style="${border}"`;
  const head = headers.map((h) => `<th ${th}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((c) => `<td ${td}>${escapeHtml(String(c))}</td>`).join('')}</tr>`)
    .join('\n');
  return (
    '<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse;border:1px solid #999">' +
    `<thead><tr>${head}</tr></thead>\n<tbody>${body}</tbody></table>`
  );
}

/**
 * Columns padded to their widest cell, separated by ` | `, with a `-+-` rule under the
 * headers; `right[i]` aligns column i to the right. The separators keep a multi-word cell
 * ("failed authentication (password guessing)", a user agent) from running into the next
 * one where the mail client shows the text part in a proportional font.
 */
export function textTable(
  headers: string[],
  rows: Array<Array<string | number>>,
  right: boolean[] = [],
): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => printable(String(c))))];
  // A loop, not Math.max(...cells): a digest table can have tens of thousands of rows.
  const widths = headers.map((_, i) => cells.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0));
  const line = (r: string[]) =>
    `  ${widths.map((w, i) => (right[i] ? (r[i] ?? '').padStart(w) : (r[i] ?? '').padEnd(w))).join(' | ')}`.trimEnd();
  const rule = `  ${widths.map((w) => '-'.repeat(w)).join('-+-')}`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

export function formatUtc(t: number): string {
  const d = new Date(Math.round(t) * 1000);
  return Number.isNaN(d.getTime()) ? String(t) : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `12,345`: an integer with thousands separators, the same in every locale (mails, CLI, reports). */
export function count(n: number): string {
  return Math.trunc(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}

export function countryText(code: string | null, name: string | null): string {
  if (!code) return '-';
  return name ? `${name} (${code})` : code;
}

export function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

/** The sum of a record's values (counts by reason, by rule). */
export function sumValues(o: Partial<Record<string, number>>): number {
  let n = 0;
  for (const v of Object.values(o)) n += v ?? 0;
  return n;
}
