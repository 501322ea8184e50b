/**
 * `sipprotd start|stop|status|restart|reload|run`, the manual's init-script verbs.
 * `run` is the daemon itself (foreground, for systemd), loaded only for `run` so the
 * control verbs start fast; the others control a running daemon through daemon/control.ts
 * and wait until the change has really happened.
 */
import { Command, CommanderError } from 'commander';
import { loadConfigDetailed } from '../config/load.js';
import { isSipprotError } from '../core/errors.js';
import type { Config } from '../core/types.js';
import type { ControlOutcome } from '../daemon/control.js';
import { completionCommand } from './completion.js';
import { configOption } from './config-option.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './output.js';
import { VERSION } from './version.js';

/**
 * The control verbs' code (firewall, admin client, web), loaded only for them: `run` loads
 * what its first kernel load needs and nothing more (issue 13 target 5: ~40 modules less
 * before the table is in).
 */
const control = () => import('../daemon/control.js');

const STDIO: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

const EXIT_OF: Record<ControlOutcome, number> = {
  ok: EXIT.ok,
  failed: EXIT.failure,
  'not-running': EXIT.notRunning,
  refused: EXIT.usage,
};

/** Documented in --help and the README; `stop` and `reload` on a stopped daemon are 3, like `status`. */
const EXIT_HELP =
  '\nExit codes: 0 ok, 1 failure, 2 bad usage or config, 3 not running (status, stop, reload).';

export async function main(argv: string[], io: Io = STDIO): Promise<number> {
  let code: number = EXIT.ok;
  const set = (outcome: ControlOutcome) => {
    code = EXIT_OF[outcome];
  };
  const program = new Command('sipprotd')
    .description('the sipprot daemon: live capture, detection, nftables enforcement, API')
    .addOption(configOption())
    .version(`sipprotd ${VERSION}`, '-V, --version', 'print the sipprot version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText('after', EXIT_HELP);
  const path = (cmd: Command): string | undefined => cmd.optsWithGlobals().config;
  // Unknown and repeated keys are said at once on the terminal (run logs them instead).
  const cfg = (cmd: Command): Config => {
    const r = loadConfigDetailed({ path: path(cmd), env: process.env });
    for (const w of r.warnings) io.err(`sipprotd: warning: ${r.path}: ${w.message}\n`);
    return r.config;
  };

  program
    .command('run')
    .description('run in the foreground (systemd, debugging); stops on SIGTERM/SIGINT, reloads on SIGHUP')
    .option('--log-format <format>', 'text (readable lines) or json (for log shippers); overrides LOG_FORMAT')
    .action(async (o, cmd: Command) => {
      const given = o.logFormat as string | undefined;
      const format = given === 'text' || given === 'json' ? given : undefined;
      if (given !== undefined && format === undefined) {
        throw new CommanderError(
          EXIT.usage,
          'sipprot.usage',
          `--log-format must be text or json, not '${given}'`,
        );
      }
      const { runDaemon } = await import('../daemon/main.js');
      const r = loadConfigDetailed({ path: path(cmd), env: process.env });
      const config: Config = format
        ? { ...r.config, ops: { ...r.config.ops, log: { level: r.config.ops.log.level, format } } }
        : r.config;
      code = await runDaemon(config, { configPath: path(cmd), configWarnings: r.warnings });
    });
  program
    .command('start')
    .description('start the daemon in the background and wait until it serves')
    .action(async (_o, cmd: Command) => set(await (await control()).startDaemon(cfg(cmd), path(cmd), io)));
  program
    .command('stop')
    .description('stop the daemon; removes every firewall rule sipprot created (exit 3: was not running)')
    .action(async (_o, cmd: Command) => set(await (await control()).stopDaemon(cfg(cmd), io)));
  program
    .command('restart')
    .description('stop, then start')
    .action(async (_o, cmd: Command) => {
      const config = cfg(cmd);
      const { startDaemon, stopDaemon } = await control();
      const s = await stopDaemon(config, io);
      set(s === 'ok' || s === 'not-running' ? await startDaemon(config, path(cmd), io) : s);
    });
  program
    .command('reload')
    .description('re-read config and lists and apply them without dropping blocks (SIGHUP)')
    .action(async (_o, cmd: Command) => set(await (await control()).reloadDaemon(cfg(cmd), io)));
  program
    .command('status')
    .description('is the daemon running? (exit 0 yes, 3 no)')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) =>
      set(await (await control()).daemonStatus(cfg(cmd), io, Boolean(o.json))),
    );
  program.addCommand(completionCommand(program, io));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'sipprot.usage') io.err(`error: ${e.message}\n`);
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.err(`sipprotd: ${e instanceof Error ? e.message : String(e)}\n`);
    if (isSipprotError(e) && e.code === 'SP_ERR_CONFIG_INVALID') return EXIT.usage;
    return EXIT.failure;
  }
  return code;
}
