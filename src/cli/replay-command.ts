import type { Command } from 'commander';
import type { Alert } from '../core/detect/alerts.js';
import type { NearMiss } from '../core/detect/near-miss.js';
import type { CountryLookup, ListLookup } from '../core/policy/policy.js';
import { terminalSafe } from '../core/text/terminal.js';
import type { Config, Decision } from '../core/types.js';
import type { ReplayResult } from '../replay/replay.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { renderTable } from './table.js';

interface ReplayCliDeps {
  /** The config as the daemon would load it, with `KEY=VALUE` overrides applied on top. */
  config(path: string | undefined, overrides: string[]): Config;
  lists(config: Config): ListLookup;
  country(config: Config): Promise<CountryLookup>;
}

/**
 * `sipprot replay FILE... [--json] [--set KEY=VALUE] [--near N]`: what the rules decide on
 * captures, the alerts they raise, the "would block" of rules in OBSERVE mode, and the
 * addresses that came closest to each threshold without reaching it (to tune on).
 */
export function replayCommand(deps: ReplayCliDeps) {
  return (program: Command, ctx: CliContext) => {
    program
      .command('replay')
      .description('run captures (pcap/pcapng) through the detection rules; changes no firewall')
      .argument('<files...>', 'capture files, read in the order given')
      .option('--json', 'one JSON object a line for each decision, alert and near miss')
      .option('--set <KEY=VALUE>', 'override a config key for this replay (repeatable)', collect, [])
      .option('--near <N>', 'near misses to list per rule (0 = none)', '5')
      .action(async (files: string[], o: { json?: boolean; set: string[]; near: string }, cmd: Command) => {
        const config = deps.config(cmd.optsWithGlobals().config, o.set);
        const country = await deps.country(config);
        const near = Math.max(0, Math.min(1000, Math.floor(Number(o.near)) || 0));
        const blocks = new Map<string, Decision[]>();
        const alerts: Alert[] = [];
        const line = (x: Record<string, unknown>) => ctx.io.out(JSON.stringify(x) + '\n');
        const onDecision = (d: Decision) => {
          if (o.json) line(jsonDecision(d));
          else blocks.set(d.ip, [...(blocks.get(d.ip) ?? []), d]);
        };
        // The engine (~110 modules) loads when a replay runs, not for every other command.
        const { replay } = await import('../replay/replay.js');
        const result = await replay(files, config, { lists: deps.lists(config), country }, onDecision, {
          onAlert: (a) => (o.json ? line(jsonAlert(a)) : alerts.push(a)),
          onObserve: onDecision,
          nearMisses: near,
        });
        if (o.json) {
          for (const m of result.nearMisses) line(jsonNearMiss(m));
          return;
        }
        ctx.io.out(summary(blocks, result) + alertLines(alerts) + nearMissTable(result.nearMisses));
        if (result.frames === 0) ctx.setExit(EXIT.failure);
      });
  };
}

/** The one terminal escaping (core/text/terminal.ts), re-exported for the other commands. */
export { terminalSafe };

/** An alert as a JSON line: the decision line's leading keys, `action` "alert". */
export function jsonAlert(a: Alert): Record<string, unknown> {
  return {
    at: a.at,
    ip: a.ip,
    action: 'alert',
    reason: a.kind,
    user: a.user,
    dialled: a.dialled,
    failures: a.failures,
    sources: a.sources,
    userAgent: a.userAgent,
    transport: a.transport,
    port: a.port,
    note: a.text,
  };
}

/** A near miss as a JSON line: `ip` is the address (or `extension N`), `attempts` its peak. */
export function jsonNearMiss(m: NearMiss): Record<string, unknown> {
  return {
    at: m.at,
    ip: m.subject,
    action: 'near-miss',
    reason: m.rule,
    attempts: m.peak,
    threshold: m.threshold,
  };
}

function alertLines(alerts: Alert[]): string {
  if (alerts.length === 0) return '';
  const lines = alerts.map((a) => `  ${new Date(a.at * 1000).toISOString()}  ${terminalSafe(a.text)}`);
  return `\nalerts:\n${lines.join('\n')}\n`;
}

function nearMissTable(ms: NearMiss[]): string {
  if (ms.length === 0) return '';
  const rows = ms.map((m) => [
    m.rule,
    terminalSafe(m.subject),
    `${m.peak} of ${m.threshold}`,
    new Date(m.at * 1000).toISOString(),
  ]);
  return `\nnear misses (closest to each threshold, never blocked):\n${renderTable(['RULE', 'SOURCE', 'PEAK', 'AT'], rows)}`;
}

/** The JSON line of PRODUCT.md: at, ip, action, reason first, then what explains it. */
function jsonDecision(d: Decision): Record<string, unknown> {
  return {
    at: d.at,
    ip: d.ip,
    action: d.action,
    reason: d.reason,
    expiresAt: d.expiresAt,
    userAgent: d.userAgent,
    users: d.users,
    attempts: d.attempts,
    country: d.country,
    transport: d.transport,
    port: d.port,
    timesBlocked: d.timesBlocked,
    misconfiguredPhone: d.misconfiguredPhone,
    note: d.note,
  };
}

function summary(blocks: Map<string, Decision[]>, r: ReplayResult): string {
  const rows: Array<Array<string | number>> = [];
  for (const [ip, ds] of blocks) {
    const first = ds.find((d) => d.action === 'block' || d.action === 'permanent' || d.action === 'observe');
    if (!first) continue;
    const reason = first.action === 'observe' ? `${first.reason} (would block: OBSERVE)` : first.reason;
    rows.push([
      ip,
      first.country ?? '-',
      first.misconfiguredPhone ? `${reason} (misconfigured phone?)` : reason,
      new Date(first.at * 1000).toISOString(),
      first.attempts,
      terminalSafe((first.userAgent ?? '-').slice(0, 30)),
      terminalSafe(first.users.slice(0, 5).join(',')) || '-',
      ds.filter((d) => d.action === 'block' || d.action === 'permanent').length,
      ds.some((d) => d.action === 'permanent') ? 'yes' : 'no',
    ]);
  }
  const span = r.firstAt !== null && r.lastAt !== null ? `${(r.lastAt - r.firstAt).toFixed(1)} s` : 'empty';
  const head =
    `${r.frames} frames, ${r.decoder.sip} SIP messages over ${span}; ` +
    `${rows.length} address(es) blocked${r.engine.decisions.observe > 0 ? ' or observed (OBSERVE)' : ''}, ${r.decisions} decisions\n`;
  if (rows.length === 0) return head;
  return (
    head +
    renderTable(
      ['IP', 'COUNTRY', 'REASON', 'FIRST BLOCK', 'ATTEMPTS', 'USER AGENT', 'USERS', 'BLOCKS', 'PERMANENT'],
      rows,
    )
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
