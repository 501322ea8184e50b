import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { daemonAnswers, HttpAdmin } from '../admin/http-admin.js';
import { loadConfig } from '../config/load.js';
import { isSipprotError } from '../core/errors.js';
import type { Config } from '../core/types.js';
import { runtimePaths } from '../daemon/paths.js';
import { isAlive, readPid } from '../daemon/pidfile.js';
import { NftablesFirewall } from '../firewall/nftables.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './output.js';

const STDIO: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

/**
 * `sipprotd start|stop|status|restart|reload|run`, the manual's init-script verbs.
 * `run` is the daemon itself (foreground, for systemd); the others control it through
 * its PID file and socket, and wait until the change has really happened.
 */
export async function main(argv: string[], io: Io = STDIO): Promise<number> {
  let code: number = EXIT.ok;
  const set = (c: number) => {
    code = c;
  };
  const program = new Command('sipprotd')
    .description('the sipprot daemon: live capture, detection, nftables enforcement, API')
    .addOption(
      new Option(
        '--config <path>',
        'config file (default: $SIPPROT_CONFIG, /etc/sipprot/sipprot.conf, /home/sipprot.conf)',
      ),
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText('after', '\nExit codes: 0 ok, 1 failure, 2 bad usage or config, 3 not running (status).');
  const cfg = (cmd: Command): Config => loadConfig({ path: cmd.optsWithGlobals().config, env: process.env });

  program
    .command('run')
    .description('run in the foreground (systemd, debugging); stops on SIGTERM/SIGINT, reloads on SIGHUP')
    .action(async (_o, cmd: Command) => {
      const { runDaemon } = await import('../daemon/run.js');
      set(await runDaemon(cfg(cmd), { configPath: cmd.optsWithGlobals().config }));
    });
  program
    .command('start')
    .description('start the daemon in the background and wait until it serves')
    .action(async (_o, cmd: Command) => set(await start(cfg(cmd), cmd.optsWithGlobals().config, io)));
  program
    .command('stop')
    .description('stop the daemon; removes every firewall rule sipprot created')
    .action(async (_o, cmd: Command) => set(await stop(cfg(cmd), io)));
  program
    .command('restart')
    .description('stop, then start')
    .action(async (_o, cmd: Command) => {
      const config = cfg(cmd);
      const s = await stop(config, io);
      set(s === EXIT.ok || s === EXIT.notRunning ? await start(config, cmd.optsWithGlobals().config, io) : s);
    });
  program
    .command('reload')
    .description('re-read config and lists and apply them without dropping blocks (SIGHUP)')
    .action(async (_o, cmd: Command) => set(await reload(cfg(cmd), io)));
  program
    .command('status')
    .description('is the daemon running? (exit 0 yes, 3 no)')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) => set(await status(cfg(cmd), io, Boolean(o.json))));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    io.err(`sipprotd: ${e instanceof Error ? e.message : String(e)}\n`);
    if (isSipprotError(e) && e.code === 'SP_ERR_CONFIG_INVALID') return EXIT.usage;
    return EXIT.failure;
  }
  return code;
}

async function start(config: Config, configPath: string | undefined, io: Io): Promise<number> {
  const paths = runtimePaths(config);
  const running = readPid(paths.pidFile);
  if (running !== null) {
    io.err(`sipprotd is already running (pid ${running})\n`);
    return EXIT.failure;
  }
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const log = openSync(paths.logFile, 'a', 0o600);
  const entry = fileURLToPath(new URL('../../bin/sipprotd.js', import.meta.url));
  const args = [entry, ...(configPath ? ['--config', configPath] : []), 'run'];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  });
  closeSync(log);
  let exited: number | null = null;
  child.on('exit', (c) => {
    exited = c ?? 1;
  });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== null) {
      io.err(`sipprotd failed to start (exit ${exited}); see ${paths.logFile}\n`);
      return EXIT.failure;
    }
    if (await daemonAnswers(paths.socket)) {
      io.out(`sipprotd started (pid ${child.pid})\n`);
      return EXIT.ok;
    }
    await sleep(100);
  }
  io.err(`sipprotd did not answer within ${START_TIMEOUT_MS / 1000}s; see ${paths.logFile}\n`);
  return EXIT.failure;
}

async function stop(config: Config, io: Io): Promise<number> {
  const pid = readPid(runtimePaths(config).pidFile);
  if (pid === null) {
    io.out('sipprotd is not running\n');
    if (await removeLeftoverTable()) io.out("removed sipprot's nftables table left by a daemon that died\n");
    return EXIT.notRunning;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      io.out('sipprotd stopped\n');
      return EXIT.ok;
    }
    await sleep(100);
  }
  io.err(`sipprotd (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000}s\n`);
  return EXIT.failure;
}

async function reload(config: Config, io: Io): Promise<number> {
  const paths = runtimePaths(config);
  if (readPid(paths.pidFile) === null) {
    io.err('sipprotd is not running\n');
    return EXIT.notRunning;
  }
  // Through the API rather than SIGHUP, so a config error comes back to the admin.
  const r = await new HttpAdmin(paths.socket).call<{ reloaded: boolean; message: string }>(
    'POST',
    '/api/reload',
  );
  io.out(`${r.message}\n`);
  return r.reloaded ? EXIT.ok : EXIT.usage;
}

async function status(config: Config, io: Io, asJson: boolean): Promise<number> {
  const paths = runtimePaths(config);
  const pid = readPid(paths.pidFile);
  const answers = pid !== null && (await daemonAnswers(paths.socket));
  if (asJson) io.out(JSON.stringify({ running: pid !== null, pid, answering: answers }) + '\n');
  else if (pid === null) io.out('sipprotd is not running\n');
  else io.out(`sipprotd is running (pid ${pid})${answers ? '' : ', but its API does not answer'}\n`);
  return pid === null ? EXIT.notRunning : EXIT.ok;
}

/** After a crash the kernel still holds our table (blocks lift on their own timeouts). */
async function removeLeftoverTable(): Promise<boolean> {
  const exists = await new Promise<boolean>((resolve) =>
    execFile('nft', ['list', 'table', 'inet', 'sipprot'], (err) => resolve(err === null)),
  );
  if (!exists) return false;
  await new NftablesFirewall().shutdown();
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
