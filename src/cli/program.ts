/**
 * Builds `sipprot` from its commands (admin-commands.ts, list-commands.ts and the
 * extensions the entry point adds: replay, geoip, report/notify/recipients, passwd) and
 * runs it. Returns the exit code instead of calling process.exit, so tests run it
 * in-process. Exit codes: 0 ok, 1 failure, 2 bad usage or input (a SipprotError whose
 * catalog status is 400), 3 daemon not running (a command that needs it: feeds update), 4 (check)
 * address blocked. `status` reports the lists with or without the daemon (exit 0, "daemon: not
 * running"); whether the daemon runs is `sipprotd status`'s answer (exit 3, the LSB status code).
 */
import { Command, CommanderError } from 'commander';
import { httpStatus, isSipprotError } from '../core/errors.js';
import { parseAddress } from '../core/net/ip.js';
import type { Admin } from '../ports/admin.js';
import { checkCommand, statusCommand, unblockCommand, versionCommand } from './admin-commands.js';
import { alertsCommand } from './alerts-command.js';
import { completionCommand } from './completion.js';
import { configOption } from './config-option.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { historyCommand } from './history-command.js';
import { listCommands } from './list-commands.js';
import { type Io, terminalIo } from './output.js';
import { VERSION } from './version.js';

export { type CliContext, usage } from './context.js';

export interface CliDeps {
  io: Io;
  /**
   * Opens the admin backend for the chosen config: over the daemon socket, or local.
   * `readOnly`: the command only looks (status, check, list, history), so a state
   * database that does not exist yet is not created for it.
   */
  admin(opts: { config?: string; readOnly?: boolean }): Promise<Admin>;
  /** Epoch seconds; default the system clock. */
  clock?: () => number;
  /** Extra command groups registered by other modules (replay, geoip, recipients...). */
  extensions?: Array<(program: Command, ctx: CliContext) => void>;
  /** A yes/no question on the terminal; absent when stdin is not a TTY. */
  confirm?: (question: string) => Promise<boolean>;
  /** The environment ($SSH_CLIENT / $SSH_CONNECTION name the user's address). */
  env?: NodeJS.ProcessEnv;
}

/** The SSH client of this shell: "203.0.113.7 52144 22" → 203.0.113.7. */
export function sshClientOf(env: NodeJS.ProcessEnv): string | null {
  const first = (env.SSH_CLIENT ?? env.SSH_CONNECTION ?? '').trim().split(/\s+/)[0] ?? '';
  return parseAddress(first)?.text ?? null;
}

export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  let exitCode: number = EXIT.ok;
  const io = terminalIo(deps.io);
  const ctx: CliContext = {
    io,
    admin: (cmd, opts) => deps.admin({ config: cmd.optsWithGlobals().config, ...opts }),
    setExit: (code) => {
      exitCode = code;
    },
    requester: sshClientOf(deps.env ?? process.env),
    clock: deps.clock ?? (() => Date.now() / 1000),
    ...(deps.confirm ? { confirm: deps.confirm } : {}),
  };
  const program = rootCommand(io);
  for (const add of [statusCommand, checkCommand, versionCommand, unblockCommand]) add(program, ctx);
  for (const name of ['allow', 'deny'] as const) listCommands(program, ctx, name);
  historyCommand(program, ctx);
  alertsCommand(program, ctx);
  for (const ext of deps.extensions ?? []) ext(program, ctx);
  program.addCommand(completionCommand(program, io));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    return reportError(e, io);
  }
  return exitCode;
}

function rootCommand(io: Io): Command {
  return new Command('sipprot')
    .description('sipprot: SIP brute-force and scanner guard (lists, blocks, reports)')
    .addOption(configOption())
    .version(`sipprot ${VERSION}`, '-V, --version', 'print the sipprot version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failure, 2 bad usage or input, 3 daemon not running (feeds update, which needs it),\n' +
        '4 (check) address blocked. status reads the lists with or without the daemon: it exits 0 and says\n' +
        '"daemon: not running"; sipprotd status exits 3 then.',
    );
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
    // Bad input (HTTP 400 in the catalog: usage, config value, address, list line) is exit 2.
    return httpStatus(e.code) === 400 ? EXIT.usage : EXIT.failure;
  }
  io.err(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  return EXIT.failure;
}
