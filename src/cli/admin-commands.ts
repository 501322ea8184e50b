/**
 * `sipprot status`, `check`, `version` and `unblock`: one function per command, each
 * thin (parse, ask the Admin, print). The output is what admins' scripts read: the
 * manual's tables, one line per fact, and --json for machines.
 */
import type { Command } from 'commander';
import { count } from '../platform/time-text.js';
import type { StatusReport, StoreBacklog } from '../ports/admin.js';
import { checkText } from './check-text.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { dynamicTable, json, LIST_TITLES, listTable } from './output.js';
import { statusWarnings } from './status-warnings.js';
import { renderTable } from './table.js';
import { VERSION } from './version.js';

export function statusCommand(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  program
    .command('status')
    .description('number of IPs per list; with a flag, the list itself')
    .option('--all', 'print allow, deny and dynamic deny lists')
    .option('--allow', 'print the allow list')
    .option('--deny', 'print the deny list')
    .option('--dynamic', 'print the dynamic deny list (live blocks, time left, user agent, reason)')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) => {
      const admin = await ctx.admin(cmd, { readOnly: true });
      const status = await admin.status();
      const want = (k: 'allow' | 'deny' | 'dynamic') => o.all || o[k];
      const allow = want('allow') ? await admin.listEntries('allow') : undefined;
      const deny = want('deny') ? await admin.listEntries('deny') : undefined;
      const dynamic = want('dynamic') ? await admin.dynamicBlocks() : undefined;
      if (o.json) return json(io, { ...status, allow, deny, dynamic });
      io.out(countsTable(status));
      io.out(statusFooter(status));
      if (allow) io.out(listTable(LIST_TITLES.allow, allow));
      if (deny) io.out(listTable(LIST_TITLES.deny, deny));
      if (dynamic) io.out(dynamicTable('Dynamic deny list', dynamic));
    });
}

export function checkCommand(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description('is IP in the allow list, deny list, dynamic deny list or a blocked country, and why')
    .argument('<ip>', 'an IPv4 or IPv6 address')
    .option('--json', 'machine-readable output')
    .action(async (ip: string, o, cmd: Command) => {
      const r = await (await ctx.admin(cmd, { readOnly: true })).check(ip);
      if (o.json) json(ctx.io, r);
      else ctx.io.out(checkText(r, ctx.clock()));
      if (r.blocked) ctx.setExit(EXIT.blocked);
    });
}

export function versionCommand(program: Command, ctx: CliContext): void {
  program
    .command('version')
    .description('print the sipprot version')
    .option('--json', 'machine-readable output')
    .action((o) => {
      if (o.json) json(ctx.io, { version: VERSION });
      else ctx.io.out(`sipprot ${VERSION}\n`);
    });
}

export function unblockCommand(program: Command, ctx: CliContext): void {
  program
    .command('unblock')
    .description('lift the dynamic block of IP now')
    .argument('<ip>', 'a dynamically blocked address')
    .action(async (ip: string, _o, cmd: Command) => {
      const r = await (await ctx.admin(cmd)).unblock(ip);
      if (r.wasBlocked) ctx.io.out(`${r.ip} unblocked\n`);
      else {
        ctx.io.err(`${r.ip} is not dynamically blocked (see: sipprot check ${r.ip})\n`);
        ctx.setExit(EXIT.failure);
      }
    });
}

function countsTable(s: StatusReport): string {
  const c = s.counts;
  return renderTable(
    ['LIST', 'NUM OF IPS'],
    [
      ['Allow', count(c.allow)],
      ['Deny', count(c.deny)],
      ['Dynamic (permanent)', count(c.dynamicPermanent)],
      ['Dynamic (temporary)', count(c.dynamicTemporary)],
    ],
  );
}

function statusFooter(s: StatusReport): string {
  const lines = [
    ...statusWarnings(s),
    s.daemon.running ? `daemon: running (pid ${s.daemon.pid})` : 'daemon: not running',
    s.countries.blocked.length > 0
      ? `blocked countries: ${s.countries.blocked.join(', ')} (${s.countries.ranges} ranges)`
      : 'blocked countries: none',
    `mail: ${s.mail.message}`,
    s.cluster
      ? `cluster: host ${s.cluster.host}, Redis ${s.cluster.redis}, ${s.cluster.outbox} events waiting for Redis`
      : 'cluster: off (single host)',
  ];
  const live = s.live;
  if (live?.capture) {
    lines.push(
      `capture: ${live.capture.received} frames, ${live.sipMessages} SIP messages, ` +
        `${live.capture.dropped} dropped by the kernel before sipprot read them` +
        (live.capture.ringDrops > 0 ? `, ${live.capture.ringDrops} by sipprot falling behind` : ''),
    );
    const p = live.capture.priority;
    if (p) lines.push(priorityLine(p));
  }
  if (live?.loopLag) {
    const l = live.loopLag;
    lines.push(
      `event loop: late by p50 ${l.p50} / p99 ${l.p99} / max ${l.max} ms over ${l.windowSeconds} s ` +
        `(since start p99 ${l.p99SinceStart} / max ${l.maxSinceStart} ms` +
        (l.startMax === undefined ? ')' : `; while starting max ${l.startMax} ms)`),
    );
  }
  const p = live?.protection;
  if (p?.kernel) {
    if (!p.kernel.inSync) {
      lines.push(
        `PROTECTION LOST: sipprot's nftables rules are missing from the kernel (${p.kernel.lastLoss?.reason}); being rebuilt`,
      );
    } else if (p.kernel.losses > 0) {
      const last = p.kernel.lastLoss;
      lines.push(
        `kernel: sipprot's rules vanished ${p.kernel.losses} time(s) and were rebuilt; last: ${last?.reason} at ${new Date((last?.at ?? 0) * 1000).toISOString()}`,
      );
    }
  }
  if (p && p.store.pending > 0) {
    lines.push(
      `STORE FAILING since ${new Date((p.store.since ?? 0) * 1000).toISOString()}: ${p.store.pending} decisions wait in memory (${p.store.lastError}); in force in the kernel, retried`,
    );
  }
  if (live?.writer) lines.push(writerLine(live.writer));
  if (live?.drops) {
    const d = Object.entries(live.drops)
      .filter(([, c]) => c.packets > 0)
      .map(([k, c]) => `${k} ${c.packets}`);
    lines.push(`packets dropped by sipprot: ${d.length > 0 ? d.join(', ') : 'none yet'}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The store writer thread's backlog: what waits (a flood's commits fall behind by seconds
 * and catch up after), its budget, and the rows left out to stay within it (never a block).
 */
export function writerLine(w: StoreBacklog): string {
  const shed = w.shed.history + w.shed.attacks + w.shed.decisions;
  return (
    `store writer: ${megabytes(w.bytes)} in ${count(w.turns)} turns waiting ` +
    `(peak ${megabytes(w.peakBytes)}, budget ${megabytes(w.budgetBytes)})` +
    (w.shedding ? ', SHEDDING rows until it catches up' : '') +
    '; rows shed since start: ' +
    (shed === 0
      ? 'none'
      : `${count(shed)} (history ${count(w.shed.history)}, attacks ${count(w.shed.attacks)}, decisions ${count(w.shed.decisions)}; blocks are never shed)`)
  );
}

/** The capture thread's priority: said plainly when the kernel refused it (capture.c). */
export function priorityLine(p: { nice: number; wanted: number; error: string | null }): string {
  if (p.nice <= p.wanted) return `capture thread: nice ${p.nice}`;
  return (
    `capture thread at nice ${p.nice} (wanted ${p.wanted}: ${(p.error ?? 'refused').toLowerCase()}); ` +
    `give sipprotd CAP_SYS_NICE or LimitNICE=${20 - p.wanted}`
  );
}

function megabytes(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
