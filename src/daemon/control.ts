/**
 * Controlling a daemon from outside (`sipprotd start|stop|restart|reload|status`): through
 * its PID file and Unix socket (platform/runtime-paths.ts), never by process name. Each
 * call waits until the change has really happened (start: the API answers, within 30 s;
 * stop: the process is gone, within 20 s) and returns an outcome the CLI turns into its
 * exit code; what the admin should read goes to `say`. Public surface of daemon/ for the CLI.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectDaemon, daemonAnswers } from '../admin/http-admin.js';
import type { Config } from '../core/types.js';
import { NftablesFirewall } from '../firewall/nftables.js';
import { lockOwner } from '../platform/netns-lock.js';
import { isAlive, readPid, START_BUDGET_MS } from '../platform/pid-file.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import { startBanner } from './banner.js';

/** ok; failed; not running (status, stop, reload); refused (reload: the config is invalid). */
export type ControlOutcome = 'ok' | 'failed' | 'not-running' | 'refused';

/** Where the messages for the admin go (the CLI's stdout and stderr). */
export interface Say {
  out(text: string): void;
  err(text: string): void;
}

const START_TIMEOUT_MS = START_BUDGET_MS;
const STOP_TIMEOUT_MS = 20_000;
const POLL_MS = 100;

/** Starts `sipprotd run` detached, output to STATE_DIR/sipprotd.log; waits until it serves. */
export async function startDaemon(
  config: Config,
  configPath: string | undefined,
  say: Say,
): Promise<ControlOutcome> {
  const paths = runtimePaths(config);
  const running = readPid(paths.pidFile);
  if (running !== null) {
    say.err(`sipprotd is already running (pid ${running})\n`);
    return 'failed';
  }
  // One daemon per network namespace: say who holds it instead of a start that dies in the log.
  const owner = await lockOwner();
  if (owner !== null) {
    say.err(
      `another sipprotd already runs in this network namespace (pid ${owner.pid}, STATE_DIR ${owner.stateDir}, ` +
        `config ${owner.config ?? '(defaults)'}): stop it first\n`,
    );
    return 'failed';
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
      say.err(`sipprotd failed to start (exit ${exited}); see ${paths.logFile}\n`);
      return 'failed';
    }
    if (await daemonAnswers(paths.socket)) {
      say.out(`sipprotd started (pid ${child.pid})\n${startBanner(config, paths.logFile)}`);
      return 'ok';
    }
    await sleep(POLL_MS);
  }
  say.err(`sipprotd did not answer within ${START_TIMEOUT_MS / 1000}s; see ${paths.logFile}\n`);
  return 'failed';
}

/** SIGTERM to the PID in the PID file; waits until the process is gone. */
export async function stopDaemon(config: Config, say: Say): Promise<ControlOutcome> {
  const pid = readPid(runtimePaths(config).pidFile);
  if (pid === null) {
    say.out('sipprotd is not running: nothing to stop\n');
    if (await removeLeftoverTable()) say.out("removed sipprot's nftables table left by a daemon that died\n");
    return 'not-running';
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      say.out('sipprotd stopped\n');
      return 'ok';
    }
    await sleep(POLL_MS);
  }
  say.err(`sipprotd (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000}s\n`);
  return 'failed';
}

/** Reload through the API rather than SIGHUP, so a config error comes back to the admin. */
export async function reloadDaemon(config: Config, say: Say): Promise<ControlOutcome> {
  // A daemon that is starting is waited for (as long as `start` waits): its reload would otherwise fail.
  const daemon = await connectDaemon(runtimePaths(config), { waiting: (t) => say.err(t) });
  if (daemon === null) {
    say.err('sipprotd is not running\n');
    return 'not-running';
  }
  const r = await daemon.call<{ reloaded: boolean; message: string }>('POST', '/api/reload');
  say.out(`${r.message}\n`);
  return r.reloaded ? 'ok' : 'refused';
}

/** Is it running (PID file names a live process), and does its API answer? */
export async function daemonStatus(config: Config, say: Say, asJson: boolean): Promise<ControlOutcome> {
  const paths = runtimePaths(config);
  const pid = readPid(paths.pidFile);
  const answers = pid !== null && (await daemonAnswers(paths.socket));
  if (asJson) say.out(JSON.stringify({ running: pid !== null, pid, answering: answers }) + '\n');
  else if (pid === null) say.out('sipprotd is not running\n');
  else say.out(`sipprotd is running (pid ${pid})${answers ? '' : ', but its API does not answer'}\n`);
  return pid === null ? 'not-running' : 'ok';
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
