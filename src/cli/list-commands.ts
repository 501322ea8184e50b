/**
 * `sipprot allow|deny list|add|remove|import|export|template`: the same six commands for
 * either list, one function each. Exit codes: 1 when an entry to remove was missing, 2
 * when an import had invalid lines and applied nothing (without --skip-invalid, or when no
 * line was valid); an import --skip-invalid that applied entries is 0 and says what it skipped.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ListName } from '../core/types.js';
import type { Admin, ChangeOptions } from '../ports/admin.js';
import { type CliContext, usage } from './context.js';
import { EXIT } from './exit-codes.js';
import { json, LIST_TITLES, listTable } from './output.js';

export function listCommands(program: Command, ctx: CliContext, name: ListName): void {
  const group = program.command(name).description(`manage the ${name} list (addresses and CIDR networks)`);
  for (const add of [listCommand, addCommand, removeCommand, importCommand, exportCommand, templateCommand]) {
    add(group, ctx, name);
  }
}

function listCommand(group: Command, ctx: CliContext, name: ListName): void {
  group
    .command('list')
    .description(`print the ${name} list`)
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) => {
      const entries = await (await ctx.admin(cmd, { readOnly: true })).listEntries(name);
      if (o.json) json(ctx.io, entries);
      else ctx.io.out(listTable(LIST_TITLES[name], entries));
    });
}

/** The lock-out guard's options for a change: who asks (SSH client) and --force. */
function changeOptions(ctx: CliContext, o: { force?: boolean }): ChangeOptions {
  return { requester: ctx.requester, ...(o.force ? { force: true } : {}) };
}

const FORCE_HELP =
  'go ahead although the change would lock out an address the guard protects, or is near-total';

function addCommand(group: Command, ctx: CliContext, name: ListName): void {
  group
    .command('add')
    .description(`add an address or network to the ${name} list, with an optional note`)
    .argument('<network>', 'address or CIDR, IPv4 or IPv6')
    .argument('[note...]', 'free text kept beside the entry')
    .option('--force', FORCE_HELP)
    .action(async (network: string, note: string[], o, cmd: Command) => {
      const admin = await ctx.admin(cmd);
      const r = await admin.addEntries(name, [{ network, note: note.join(' ') }], changeOptions(ctx, o));
      for (const e of r.added) ctx.io.out(`added ${e.network} to the ${name} list\n`);
      for (const e of r.updated) ctx.io.out(`${e.network} was already in the ${name} list; note updated\n`);
    });
}

function removeCommand(group: Command, ctx: CliContext, name: ListName): void {
  group
    .command('remove')
    .description(`remove addresses or networks from the ${name} list`)
    .argument('[networks...]', 'entries to remove, as listed')
    .option('--all', `remove every entry of the ${name} list (asks first; --yes in scripts)`)
    .option('--yes', 'with --all: do not ask')
    .option('--force', FORCE_HELP)
    .action(async (networks: string[], o, cmd: Command) => {
      if (!o.all && networks.length === 0) throw usage(`name the entries to remove, or use --all`);
      const admin = await ctx.admin(cmd);
      if (o.all && !o.yes && !(await confirmAll(ctx, admin, name))) return;
      const opts = changeOptions(ctx, o);
      const r = o.all ? await admin.removeAll(name, opts) : await admin.removeEntries(name, networks, opts);
      ctx.io.out(
        `removed ${r.removed.length} entr${r.removed.length === 1 ? 'y' : 'ies'} from the ${name} list\n`,
      );
      for (const m of r.missing) ctx.io.err(`not in the ${name} list: ${m}\n`);
      if (r.missing.length > 0) ctx.setExit(EXIT.failure);
    });
}

/** `remove --all` empties a list: asked on a terminal, refused without --yes elsewhere. */
async function confirmAll(ctx: CliContext, admin: Admin, name: ListName): Promise<boolean> {
  const n = (await admin.listEntries(name)).length;
  if (!ctx.confirm) {
    throw usage(`remove --all would remove all ${n} entries of the ${name} list: add --yes to confirm`);
  }
  if (await ctx.confirm(`Remove all ${n} entries of the ${name} list? [y/N] `)) return true;
  ctx.io.err('nothing removed\n');
  ctx.setExit(EXIT.failure);
  return false;
}

function importCommand(group: Command, ctx: CliContext, name: ListName): void {
  const { io } = ctx;
  group
    .command('import')
    .description(`import a CSV file (network,note) into the ${name} list`)
    .argument('<file>', 'CSV file; "-" for standard input')
    .option('--skip-invalid', 'apply the valid lines even if some lines are invalid')
    .option('--force', FORCE_HELP)
    .action(async (file: string, o, cmd: Command) => {
      const csv = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      const opts = { skipInvalid: Boolean(o.skipInvalid), ...changeOptions(ctx, o) };
      const r = await (await ctx.admin(cmd)).importCsv(name, csv, opts);
      if (!r.applied) {
        for (const e of r.errors) io.err(`${file}:${e.line}: ${e.message}: ${JSON.stringify(e.text)}\n`);
        io.err(`nothing imported: ${r.errors.length} invalid line(s); fix them or use --skip-invalid\n`);
        ctx.setExit(EXIT.usage);
        return;
      }
      for (const e of r.errors)
        io.err(`${file}:${e.line}: skipped: ${e.message}: ${JSON.stringify(e.text)}\n`);
      const skipped = r.errors.length > 0 ? `; skipped ${r.errors.length} invalid line(s)` : '';
      io.out(
        `imported ${r.added.length} new and ${r.updated.length} existing entries into the ${name} list${skipped}\n`,
      );
      // --skip-invalid asked for the valid lines: done is 0. Nothing valid at all is bad input.
      if (r.added.length + r.updated.length === 0 && r.errors.length > 0) ctx.setExit(EXIT.usage);
    });
}

function exportCommand(group: Command, ctx: CliContext, name: ListName): void {
  group
    .command('export')
    .description(`export the ${name} list as CSV (network,note)`)
    .argument('[file]', 'write to this file instead of standard output')
    .action(async (file: string | undefined, _o, cmd: Command) => {
      const csv = await (await ctx.admin(cmd, { readOnly: true })).exportCsv(name);
      if (file) await writeFile(file, csv, { mode: 0o600 });
      else ctx.io.out(csv);
    });
}

function templateCommand(group: Command, ctx: CliContext): void {
  group
    .command('template')
    .description('print a CSV template for import')
    .action(async () => {
      const { CSV_TEMPLATE } = await import('../core/lists/list-csv.js');
      ctx.io.out(CSV_TEMPLATE);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
