import { chmodSync } from 'node:fs';
import type { Config } from '../core/types.js';
import { Daemon, type DaemonOptions } from './daemon.js';
import { runtimePaths } from './paths.js';

/** `sipprotd run`: start, then wait for SIGTERM/SIGINT (stop) and SIGHUP (reload). */
export async function runDaemon(config: Config, opts: DaemonOptions = {}): Promise<number> {
  const daemon = new Daemon(config, opts);
  await daemon.start();
  chmodSync(runtimePaths(config).socket, 0o600);
  const { loadConfig } = await import('../config/load.js');
  // Enforcement must go on whatever one failed operation did; log it and reconcile.
  process.on('unhandledRejection', (e) => {
    daemon.log.error({ err: e }, 'unhandled failure; reconciling the firewall from the store');
    daemon.reconcile('after unhandled failure').catch(() => undefined);
  });
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      daemon.log.info({ signal }, 'stopping');
      daemon.stop().then(
        () => resolve(0),
        (e) => {
          daemon.log.error({ err: e }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      try {
        const next = loadConfig({ path: opts.configPath, env: process.env });
        daemon.reload(next).catch((e) => daemon.log.error({ err: e }, 'reload failed'));
      } catch (e) {
        daemon.log.error({ err: e }, 'reload refused: the configuration is invalid; keeping the running one');
      }
    });
  });
}
