/**
 * The manual's ASCII tables (`sipprot status`): a rule line between every row, as
 * sipPROT prints them, so admins' scripts and eyes find what they know.
 */
export function renderTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const line = (r: string[]) => '| ' + widths.map((w, i) => (r[i] ?? '').padEnd(w)).join(' | ') + ' |';
  const out = [rule];
  for (const r of cells) {
    out.push(line(r), rule);
  }
  return out.join('\n') + '\n';
}

/** Seconds as the UI and CLI show time left: `9m 59s`, `2h 5m`, `permanent`. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return 'permanent';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
