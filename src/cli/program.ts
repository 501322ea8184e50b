import { readFile, writeFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { isSipprotError } from '../core/errors.js';
import type { ListEntry, ListName } from '../core/types.js';
import type { Admin } from '../ports/admin.js';
import { configOption } from './config-option.js';
import { EXIT } from './exit-codes.js';
import { checkText, dynamicTable, type Io, json, listTable } from './output.js';
import { renderTable } from './table.js';
import { VERSION } from './version.js';

export interface CliDeps {
  io: Io;
  /** Opens the admin backend for the chosen config: over the daemon socket, or local. */
  admin(opts: { config?: string }): Promise<Admin>;
  /** Extra command groups registered by other modules (replay, geoip, recipients...). */
  extensions?: Array<(program: Command, ctx: CliContext) => void>;
}

export interface CliContext {
  io: Io;
  admin(cmd: Command): Promise<Admin>;
  setExit(code: number): void;
}

const LIST_TITLES: Record<ListName, string> = { allow: 'Allow list', deny: 'Deny list' };

/**
 * Builds `sipprot`. Commands are thin: parse, ask the Admin, print. Returns the exit
 * code instead of calling process.exit, so tests run it in-process.
 */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  let exitCode: number = EXIT.ok;
  const { io } = deps;
  const ctx: CliContext = {
    io,
    admin: (cmd) => deps.admin({ config: cmd.optsWithGlobals().config }),
    setExit: (code) => {
      exitCode = code;
    },
  };
  const program = new Command('sipprot')
    .description('sipprot: SIP brute-force and scanner guard (lists, blocks, reports)')
    .addOption(configOption())
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failure, 2 bad usage or input, 3 daemon not running, 4 (check) address blocked.',
    );

  program
    .command('status')
    .description('number of IPs per list; with a flag, the list itself')
    .option('--all', 'print allow, deny and dynamic deny lists')
    .option('--allow', 'print the allow list')
    .option('--deny', 'print the deny list')
    .option('--dynamic', 'print the dynamic deny list (live blocks, time left, user agent, reason)')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) => {
      const admin = await ctx.admin(cmd);
      const status = await admin.status();
      const want = (k: 'allow' | 'deny' | 'dynamic') => o.all || o[k];
      const allow = want('allow') ? await admin.listEntries('allow') : undefined;
      const deny = want('deny') ? await admin.listEntries('deny') : undefined;
      const dynamic = want('dynamic') ? await admin.dynamicBlocks() : undefined;
      if (o.json) return json(io, { ...status, allow, deny, dynamic });
      const c = status.counts;
      io.out(
        renderTable(
          ['LIST', 'NUM OF IPS'],
          [
            ['Allow', c.allow],
            ['Deny', c.deny],
            ['Dynamic (permanent)', c.dynamicPermanent],
            ['Dynamic (temporary)', c.dynamicTemporary],
          ],
        ),
      );
      io.out(statusFooter(status));
      if (allow) io.out(listTable(LIST_TITLES.allow, allow));
      if (deny) io.out(listTable(LIST_TITLES.deny, deny));
      if (dynamic) io.out(dynamicTable('Dynamic deny list', dynamic));
    });

  program
    .command('check')
    .description('is IP in the allow list, deny list, dynamic deny list or a blocked country, and why')
    .argument('<ip>', 'an IPv4 or IPv6 address')
    .option('--json', 'machine-readable output')
    .action(async (ip: string, o, cmd: Command) => {
      const r = await (await ctx.admin(cmd)).check(ip);
      if (o.json) json(io, r);
      else io.out(checkText(r));
      if (r.blocked) ctx.setExit(EXIT.blocked);
    });

  program
    .command('version')
    .description('print the sipprot version')
    .option('--json', 'machine-readable output')
    .action((o) => {
      if (o.json) json(io, { version: VERSION });
      else io.out(`sipprot ${VERSION}\n`);
    });

  program
    .command('unblock')
    .description('lift the dynamic block of IP now')
    .argument('<ip>', 'a dynamically blocked address')
    .action(async (ip: string, _o, cmd: Command) => {
      const r = await (await ctx.admin(cmd)).unblock(ip);
      if (r.wasBlocked) io.out(`${r.ip} unblocked\n`);
      else {
        io.err(`${r.ip} is not dynamically blocked (see: sipprot check ${r.ip})\n`);
        ctx.setExit(EXIT.failure);
      }
    });

  for (const name of ['allow', 'deny'] as const) addListCommands(program, ctx, name);
  for (const ext of deps.extensions ?? []) ext(program, ctx);
  program.addCommand(completionCommand(program, io));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    return reportError(e, io);
  }
  return exitCode;
}

function addListCommands(program: Command, ctx: CliContext, name: ListName): void {
  const { io } = ctx;
  const group = program.command(name).description(`manage the ${name} list (addresses and CIDR networks)`);
  group
    .command('list')
    .description(`print the ${name} list`)
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) => {
      const entries = await (await ctx.admin(cmd)).listEntries(name);
      if (o.json) json(io, entries);
      else io.out(listTable(LIST_TITLES[name], entries));
    });
  group
    .command('add')
    .description(`add an address or network to the ${name} list, with an optional note`)
    .argument('<network>', 'address or CIDR, IPv4 or IPv6')
    .argument('[note...]', 'free text kept beside the entry')
    .action(async (network: string, note: string[], _o, cmd: Command) => {
      const r = await (await ctx.admin(cmd)).addEntries(name, [{ network, note: note.join(' ') }]);
      for (const e of r.added) io.out(`added ${e.network} to the ${name} list\n`);
      for (const e of r.updated) io.out(`${e.network} was already in the ${name} list; note updated\n`);
    });
  group
    .command('remove')
    .description(`remove addresses or networks from the ${name} list`)
    .argument('[networks...]', 'entries to remove, as listed')
    .option('--all', `remove every entry of the ${name} list`)
    .action(async (networks: string[], o, cmd: Command) => {
      const admin = await ctx.admin(cmd);
      if (!o.all && networks.length === 0) throw usage(`name the entries to remove, or use --all`);
      const r = o.all ? await admin.removeAll(name) : await admin.removeEntries(name, networks);
      io.out(
        `removed ${r.removed.length} entr${r.removed.length === 1 ? 'y' : 'ies'} from the ${name} list\n`,
      );
      for (const m of r.missing) io.err(`not in the ${name} list: ${m}\n`);
      if (r.missing.length > 0) ctx.setExit(EXIT.failure);
    });
  group
    .command('import')
    .description(`import a CSV file (network,note) into the ${name} list`)
    .argument('<file>', 'CSV file; "-" for standard input')
    .option('--skip-invalid', 'apply the valid lines even if some lines are invalid')
    .action(async (file: string, o, cmd: Command) => {
      const csv = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      const r = await (await ctx.admin(cmd)).importCsv(name, csv, { skipInvalid: Boolean(o.skipInvalid) });
      for (const e of r.errors) io.err(`${file}:${e.line}: ${e.message}: ${JSON.stringify(e.text)}\n`);
      if (!r.applied) {
        io.err(`nothing imported: ${r.errors.length} invalid line(s); fix them or use --skip-invalid\n`);
        ctx.setExit(EXIT.usage);
        return;
      }
      io.out(
        `imported ${r.added.length} new and ${r.updated.length} existing entries into the ${name} list\n`,
      );
      if (r.errors.length > 0) ctx.setExit(EXIT.usage);
    });
  group
    .command('export')
    .description(`export the ${name} list as CSV (network,note)`)
    .argument('[file]', 'write to this file instead of standard output')
    .action(async (file: string | undefined, _o, cmd: Command) => {
      const csv = await (await ctx.admin(cmd)).exportCsv(name);
      if (file) await writeFile(file, csv, { mode: 0o600 });
      else io.out(csv);
    });
  group
    .command('template')
    .description('print a CSV template for import')
    .action(async () => {
      const { CSV_TEMPLATE } = await import('../core/lists/lists.js');
      io.out(CSV_TEMPLATE);
    });
}

function completionCommand(program: Command, io: Io): Command {
  return new Command('completion')
    .description('print a shell completion script: eval "$(sipprot completion bash)"')
    .argument('<shell>', 'bash')
    .action(async (shell: string) => {
      if (shell !== 'bash') throw usage(`unsupported shell "${shell}": only bash is supported`);
      const { bashCompletion } = await import('./completion.js');
      io.out(bashCompletion(program));
    });
}

function statusFooter(s: Awaited<ReturnType<Admin['status']>>): string {
  const lines = [
    s.daemon.running ? `daemon: running (pid ${s.daemon.pid})` : 'daemon: not running',
    s.countries.blocked.length > 0
      ? `blocked countries: ${s.countries.blocked.join(', ')} (${s.countries.ranges} ranges)`
      : 'blocked countries: none',
    `mail: ${s.mail.message}`,
  ];
  const live = s.live;
  if (live?.capture) {
    lines.push(
      `capture: ${live.capture.received} frames, ${live.sipMessages} SIP messages, ` +
        `${live.capture.dropped} dropped by the kernel before sipprot read them`,
    );
  }
  if (live?.drops) {
    const d = Object.entries(live.drops)
      .filter(([, c]) => c.packets > 0)
      .map(([k, c]) => `${k} ${c.packets}`);
    lines.push(`packets dropped by sipprot: ${d.length > 0 ? d.join(', ') : 'none yet'}`);
  }
  return lines.join('\n') + '\n';
}

export function usage(message: string): Error {
  const e = new CommanderError(EXIT.usage, 'sipprot.usage', message);
  return e;
}

function reportError(e: unknown, io: Io): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
    if (e.code === 'commander.help') return EXIT.ok;
    if (e.code === 'sipprot.usage') io.err(`error: ${e.message}\n`);
    return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (isSipprotError(e)) {
    io.err(`error: ${e.message}\n`);
    const usageCodes = [
      'SP_ERR_ADDRESS_INVALID',
      'SP_ERR_CONFIG_INVALID',
      'SP_ERR_LIST_INVALID',
      'SP_ERR_USAGE',
    ];
    return usageCodes.includes(e.code) ? EXIT.usage : EXIT.failure;
  }
  io.err(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  return EXIT.failure;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export type { ListEntry };
