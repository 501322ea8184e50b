/**
 * `sipprot history [IP|CIDR] [filters] [--json|--csv] [--limit N] [--page TOKEN]`: "was this
 * address blocked yesterday, and why, and who lifted it?" from the history the daemon and
 * every admin change write (core/history). Pages are gathered until --limit events or the
 * end; when more remain, the last line says the command for the next page. Attacker text
 * (user agents, users, notes) is made terminal-safe before it is printed.
 */
import type { Command } from 'commander';
import { historyCsv } from '../core/history/csv.js';
import { HISTORY_KINDS, type HistoryEvent, type HistoryKind } from '../core/history/events.js';
import { addressFilter } from '../core/history/query.js';
import { terminalSafe } from '../core/text/terminal.js';
import type { DecisionReason } from '../core/types.js';
import { count, localTime, relativeTime } from '../platform/time-text.js';
import type { Admin, HistoryRequest } from '../ports/admin.js';
import { type CliContext, usage } from './context.js';
import { json } from './output.js';
import { renderTable } from './table.js';
import { parseTimeArg } from './time-arg.js';

const MAX_LIMIT = 100_000;

interface HistoryOptions {
  since?: string;
  until?: string;
  reason?: string;
  kind?: string;
  country?: string;
  ua?: string;
  user?: string;
  actor?: string;
  json?: boolean;
  csv?: boolean;
  limit: string;
  page?: string;
}

export function historyCommand(program: Command, ctx: CliContext): void {
  const clock = ctx.clock;
  program
    .command('history')
    .description('blocks, lifts, escalations and list/settings changes, who made them; newest first')
    .argument('[address]', 'an address (its events) or a CIDR network (events of addresses in it)')
    .option('--since <time>', 'from: 2h, 7d, 2026-12-01, "2026-12-01 14:30", epoch seconds')
    .option('--until <time>', 'to (exclusive), same forms')
    .option('--reason <rule>', 'scanner, auth-failures, enumeration, manual, expired, threshold...')
    .option('--kind <kinds>', `comma-separated: ${HISTORY_KINDS.join(',')}`)
    .option('--country <CC>', 'two-letter country code')
    .option('--ua <text>', 'part of the user agent (case ignored)')
    .option('--user <ext>', 'an extension/user the address targeted')
    .option('--actor <who>', 'cli, web:admin@ADDRESS, sipprotd@HOST, host:NAME')
    .option('--json', 'machine-readable: {"events": [...], "next": TOKEN|null}')
    .option('--csv', 'CSV (formulas neutralised), for spreadsheets')
    .option('--limit <n>', `events to show, 1-${MAX_LIMIT}`, '50')
    .option('--page <token>', 'go on from the "next" token a previous run printed')
    .action(async (address: string | undefined, o: HistoryOptions, cmd: Command) => {
      if (o.json && o.csv) throw usage('choose one of --json and --csv');
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
        throw usage(`--limit ${o.limit}: must be an integer 1-${MAX_LIMIT}`);
      const q = request(address, o, clock());
      const admin = await ctx.admin(cmd, { readOnly: true });
      const { events, next } = await gather(admin, q, limit);
      if (o.json) return json(ctx.io, { events, next });
      if (o.csv) return ctx.io.out(historyCsv(events));
      ctx.io.out(historyText(events, clock()));
      if (next) ctx.io.out(`more: sipprot history ${again(address, o)}--page ${next}\n`);
    });
}

function request(address: string | undefined, o: HistoryOptions, now: number): Omit<HistoryRequest, 'limit'> {
  const q: Omit<HistoryRequest, 'limit'> = {};
  if (address !== undefined) {
    const f = addressFilter(address);
    if (!f) throw usage(`"${address}" is not an address or a CIDR network`);
    Object.assign(q, f);
  }
  if (o.since) q.since = parseTimeArg('--since', o.since, now);
  if (o.until) q.until = parseTimeArg('--until', o.until, now);
  if (o.kind) {
    const kinds = o.kind.split(',').map((k) => k.trim());
    const bad = kinds.filter((k) => !(HISTORY_KINDS as readonly string[]).includes(k));
    if (bad.length > 0) throw usage(`--kind ${bad.join(',')}: use ${HISTORY_KINDS.join(', ')}`);
    q.kinds = kinds as HistoryKind[];
  }
  if (o.reason) q.reason = o.reason as DecisionReason;
  if (o.country) {
    if (!/^[A-Za-z]{2}$/.test(o.country)) throw usage(`--country ${o.country}: a two-letter code, e.g. NL`);
    q.country = o.country.toUpperCase();
  }
  if (o.ua) q.userAgent = o.ua;
  if (o.user) q.user = o.user;
  if (o.actor) q.actor = o.actor;
  if (o.page) q.page = o.page;
  return q;
}

/** Pages until `limit` events or the end (a short page may still have more after it). */
async function gather(admin: Admin, q: Omit<HistoryRequest, 'limit'>, limit: number) {
  const events: HistoryEvent[] = [];
  let page = q.page;
  for (;;) {
    const r = await admin.history({
      ...q,
      limit: Math.min(1000, limit - events.length),
      ...(page ? { page } : {}),
    });
    events.push(...r.events);
    page = r.next ?? undefined;
    if (!page || events.length >= limit) return { events, next: page ?? null };
  }
}

const KIND_TEXT: Record<HistoryKind, string> = {
  block: 'blocked',
  permanent: 'made permanent',
  unblock: 'unblocked',
  expire: 'expired',
  'allow-add': 'allow list +',
  'allow-remove': 'allow list -',
  'deny-add': 'deny list +',
  'deny-remove': 'deny list -',
  settings: 'settings',
  'alert-ack': 'alert acknowledged',
};

function detail(e: HistoryEvent): string {
  const parts: string[] = [];
  if (e.attempts > 0) parts.push(`${count(e.attempts)} attempts`);
  if (e.users.length > 0)
    parts.push(`users ${e.users.slice(0, 5).join(',')}${e.users.length > 5 ? ',…' : ''}`);
  if (e.userAgent) parts.push(`UA "${e.userAgent.slice(0, 40)}"`);
  if (e.misconfiguredPhone) parts.push('misconfigured phone?');
  if (e.renewals !== null) parts.push(`renewed ${count(e.renewals)}×`);
  if (e.note) parts.push(e.note.slice(0, 60));
  return terminalSafe(parts.join('; '));
}

export function historyText(events: HistoryEvent[], now: number): string {
  if (events.length === 0) return 'no events\n';
  return renderTable(
    ['TIME', 'WHEN', 'EVENT', 'ADDRESS', 'REASON', 'BY', 'COUNTRY', 'DETAIL'],
    events.map((e) => [
      localTime(e.at),
      relativeTime(e.at, now),
      KIND_TEXT[e.kind],
      e.subject ?? '-',
      e.reason ?? '-',
      terminalSafe(e.actor),
      e.country ?? '-',
      detail(e) || '-',
    ]),
  );
}

/** The same filters again, for the "more:" hint (shell-quoted where needed). */
function again(address: string | undefined, o: HistoryOptions): string {
  const q = (v: string) => (/^[\w./:@,=+-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`);
  const out: string[] = address === undefined ? [] : [q(address)];
  for (const k of ['since', 'until', 'reason', 'kind', 'country', 'ua', 'user', 'actor'] as const) {
    const v = o[k];
    if (v !== undefined) out.push(`--${k}`, q(v));
  }
  if (o.limit !== '50') out.push('--limit', q(o.limit));
  return out.map((x) => `${x} `).join('');
}
