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

/** A compact bordered table; every cell is escaped. */
export function htmlTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cell = 'style="border:1px solid #ccc;padding:2px 6px;text-align:left"';
  const head = headers.map((h) => `<th ${cell}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((c) => `<td ${cell}>${escapeHtml(String(c))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table style="border-collapse:collapse"><tr>${head}</tr>\n${body}</table>`;
}

/** Columns padded to their widest cell; `right[i]` aligns column i to the right. */
export function textTable(
  headers: string[],
  rows: Array<Array<string | number>>,
  right: boolean[] = [],
): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => printable(String(c))))];
  // A loop, not Math.max(...cells): a digest table can have tens of thousands of rows.
  const widths = headers.map((_, i) => cells.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0));
  return cells
    .map(
      (r) =>
        '  ' +
        widths
          .map((w, i) => (right[i] ? (r[i] ?? '').padStart(w) : (r[i] ?? '').padEnd(w)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
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
