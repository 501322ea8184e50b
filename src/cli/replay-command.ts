import type { Command } from 'commander';
import type { CountryLookup, ListLookup } from '../core/policy/policy.js';
import type { Config, Decision } from '../core/types.js';
import { replay } from '../replay/replay.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { renderTable } from './table.js';

interface ReplayCliDeps {
  /** The config as the daemon would load it, with `KEY=VALUE` overrides applied on top. */
  config(path: string | undefined, overrides: string[]): Config;
  lists(config: Config): ListLookup;
  country(config: Config): Promise<CountryLookup>;
}

/** `sipprot replay FILE... [--json] [--set KEY=VALUE]`: what the rules decide on captures. */
export function replayCommand(deps: ReplayCliDeps) {
  return (program: Command, ctx: CliContext) => {
    program
      .command('replay')
      .description('run captures (pcap/pcapng) through the detection rules; changes no firewall')
      .argument('<files...>', 'capture files, read in the order given')
      .option('--json', 'one JSON object a line for each decision')
      .option('--set <KEY=VALUE>', 'override a config key for this replay (repeatable)', collect, [])
      .action(async (files: string[], o: { json?: boolean; set: string[] }, cmd: Command) => {
        const config = deps.config(cmd.optsWithGlobals().config, o.set);
        const country = await deps.country(config);
        const blocks = new Map<string, Decision[]>();
        const result = await replay(files, config, { lists: deps.lists(config), country }, (d) => {
          if (o.json) ctx.io.out(JSON.stringify(jsonDecision(d)) + '\n');
          else {
            const list = blocks.get(d.ip) ?? [];
            list.push(d);
            blocks.set(d.ip, list);
          }
        });
        if (o.json) return;
        ctx.io.out(summary(blocks, result));
        if (result.frames === 0) ctx.setExit(EXIT.failure);
      });
  };
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

function summary(blocks: Map<string, Decision[]>, r: Awaited<ReturnType<typeof replay>>): string {
  const rows: Array<Array<string | number>> = [];
  for (const [ip, ds] of blocks) {
    const first = ds.find((d) => d.action === 'block' || d.action === 'permanent');
    if (!first) continue;
    rows.push([
      ip,
      first.country ?? '-',
      first.misconfiguredPhone ? `${first.reason} (misconfigured phone?)` : first.reason,
      new Date(first.at * 1000).toISOString(),
      first.attempts,
      (first.userAgent ?? '-').slice(0, 30),
      first.users.slice(0, 5).join(',') || '-',
      ds.filter((d) => d.action === 'block' || d.action === 'permanent').length,
      ds.some((d) => d.action === 'permanent') ? 'yes' : 'no',
    ]);
  }
  const span = r.firstAt !== null && r.lastAt !== null ? `${(r.lastAt - r.firstAt).toFixed(1)} s` : 'empty';
  const head =
    `${r.frames} frames, ${r.decoder.sip} SIP messages over ${span}; ` +
    `${rows.length} address(es) blocked, ${r.decisions} decisions\n`;
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
