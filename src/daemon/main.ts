/**
 * `sipprotd run`: the daemon in the foreground (systemd, debugging). Starts it, then waits:
 * SIGTERM/SIGINT stop it (exit 0, or 1 when stopping failed), SIGHUP reloads the config
 * file (an invalid one is refused and logged, the running config stays). Enforcement must
 * go on whatever one failed operation did: an unhandled rejection is logged and answered
 * with a full reconcile of the kernel. Public surface of daemon/ for the CLI.
 */
import { chmodSync } from 'node:fs';
import { loadConfigDetailed } from '../config/load.js';
import type { Config } from '../core/types.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import { logConfigWarnings } from './config-warnings.js';
import type { DaemonOptions } from './daemon.js';
import { loadKernelFirst } from './kernel-first.js';
import { openParts } from './open.js';

export type { DaemonOptions };

export async function runDaemon(config: Config, opts: DaemonOptions = {}): Promise<number> {
  // The kernel's table first, then the rest of the daemon's code (kernel-first.ts): the
  // web API, mail and cluster modules are loaded only once the table is in the kernel.
  const opened = await openParts(config, opts);
  try {
    await loadKernelFirst(opened);
  } catch (e) {
    await opened.abandon();
    throw e;
  }
  const { Daemon } = await import('./daemon.js');
  const daemon = await Daemon.start(config, opts, opened);
  const log = daemon.logger;
  // Root only: the socket needs no login.
  chmodSync(runtimePaths(config).socket, 0o600);
  process.on('unhandledRejection', (e) => {
    log.error({ err: e }, 'unhandled failure; reconciling the firewall from the store');
    daemon.reconcile('after unhandled failure').catch(() => undefined);
  });
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      daemon.stop().then(
        () => resolve(0),
        (e) => {
          log.error({ err: e }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      try {
        const r = loadConfigDetailed({ path: opts.configPath, env: process.env });
        logConfigWarnings(log, r.path, r.warnings, 'reload');
        daemon.reload(r.config).catch((e) => log.error({ err: e }, 'reload failed'));
      } catch (e) {
        log.error({ err: e }, 'reload refused: the configuration is invalid; keeping the running one');
      }
    });
  });
}
