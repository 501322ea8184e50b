/**
 * `sipprot export-blocks`: the blocks in force as text, CSV, JSON, nft or ipset syntax
 * (core/lists/export.ts), minus the allow list, optionally aggregated into the fewest
 * prefixes. Reads through the Admin port (the running daemon's socket, or files and store),
 * like `status`; `--output FILE` replaces the file atomically, so a cron job and the SBC
 * that reads the file never see half a list.
 */
import type { Command } from 'commander';
import { DEFAULT_INCLUDE, exportFrom, parseInclude } from '../core/lists/export.js';
import { EXPORT_FORMATS, EXPORT_NAME, type ExportFormat, renderExport } from '../core/lists/export-render.js';
import { writeFileAtomic } from '../platform/atomic-write.js';
import { type CliContext, usage } from './context.js';

const clock = () => Date.now() / 1000;

export function exportCommand(program: Command, ctx: CliContext): void {
  program
    .command('export-blocks')
    .description('print the blocked networks (minus the allow list) for an SBC, router or other firewall')
    .option('--format <format>', `${EXPORT_FORMATS.join(', ')}`, 'text')
    .option('--include <origins>', 'dynamic, deny, feeds (comma-separated)', DEFAULT_INCLUDE.join(','))
    .option('--aggregate', 'merge adjacent and contained networks into the fewest prefixes')
    .option('--name <name>', 'nft table inet NAME / ipset sets NAME-blocked4, NAME-blocked6', 'sipprot')
    .option('-o, --output <file>', 'write to FILE (replaced atomically) instead of stdout')
    .addHelpText(
      'after',
      '\nAllowed addresses are never exported as blocked: they are cut out of every network.\n' +
        'Load the nft output with `nft -f FILE`, the ipset output with `ipset -exist restore < FILE`.',
    )
    .action(async (o, cmd: Command) => {
      const format = EXPORT_FORMATS.find((f) => f === o.format) as ExportFormat | undefined;
      if (!format) throw usage(`--format must be one of ${EXPORT_FORMATS.join(', ')}, not '${o.format}'`);
      const include = parseInclude(o.include);
      if (typeof include === 'string') throw usage(`--include ${include}`);
      if (!EXPORT_NAME.test(o.name)) {
        throw usage('--name must be 1-18 letters, digits, _ or -, starting with a letter');
      }
      const admin = await ctx.admin(cmd, { readOnly: true });
      const x = await exportFrom(admin, { include, aggregate: o.aggregate === true, now: clock() });
      const text = renderExport(x, format, { name: o.name });
      if (o.output) {
        await writeFileAtomic(o.output, text, { mode: 0o644, code: 'SP_ERR_USAGE' });
        ctx.io.err(`${x.blocks.length} networks written to ${o.output}\n`);
      } else ctx.io.out(text);
    });
}
