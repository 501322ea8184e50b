/**
 * `sipprot alerts` (what has not been acknowledged: breach, distributed guessing, a call to
 * a watched destination, a shielded source) and `sipprot alerts ack ID...|--all`. The
 * alerts keep showing in `status` and the UI's banner until acknowledged; acknowledging is
 * recorded in the history with who did it.
 */
import type { Command } from 'commander';
import { terminalSafe } from '../core/text/terminal.js';
import type { OpenAlert } from '../ports/admin.js';
import { type CliContext, usage } from './context.js';
import { json } from './output.js';

const stamp = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One line an alert: its id (for `ack`), kind, when, the sentence (escaped), how often. */
export function alertLine(a: OpenAlert): string {
  const again = a.count > 1 ? ` (raised ${a.count} times, last ${stamp(a.lastAt)})` : '';
  return `ALERT #${a.id} ${a.kind} at ${stamp(a.at)}: ${terminalSafe(a.text)}${again}`;
}

export function alertsCommand(program: Command, ctx: CliContext): void {
  const alerts = program
    .command('alerts')
    .description('alerts not acknowledged yet (possible cracked password, distributed guessing, ...)')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) => {
      const list = await (await ctx.admin(cmd, { readOnly: true })).alerts();
      if (o.json) return json(ctx.io, list);
      if (list.length === 0) return ctx.io.out('no open alerts\n');
      ctx.io.out(`${list.map(alertLine).join('\n')}\nacknowledge: sipprot alerts ack ID... (or --all)\n`);
    });
  alerts
    .command('ack')
    .description('acknowledge alerts: they leave status and the web UI banner (recorded in the history)')
    .argument('[ids...]', 'alert ids as `sipprot alerts` shows them')
    .option('--all', 'acknowledge every open alert')
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], o, cmd: Command) => {
      const nums = ids.map(Number);
      if (!o.all && nums.length === 0)
        throw usage('name the alerts to acknowledge (sipprot alerts) or use --all');
      if (nums.some((n) => !Number.isInteger(n) || n < 1))
        throw usage(`alert ids are positive integers, got ${ids.join(' ')}`);
      const r = await (await ctx.admin(cmd)).acknowledgeAlerts(o.all ? 'all' : nums, { actor: 'cli' });
      if (o.json) return json(ctx.io, r);
      ctx.io.out(
        r.acknowledged.length === 0
          ? 'no such open alert\n'
          : `acknowledged ${r.acknowledged.map((id) => `#${id}`).join(', ')}\n`,
      );
    });
}
