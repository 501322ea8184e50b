/**
 * Where a daemon's runtime files live: all three in STATE_DIR, so one setting moves
 * everything (each test runs its own daemon in a temp directory). The daemon creates
 * them; `sipprotd start|stop|status` and the CLI find the daemon through them.
 */
import { join } from 'node:path';
import type { Config } from '../core/types.js';

export interface RuntimePaths {
  /** One line: the PID of the running sipprotd. */
  pidFile: string;
  /** The root-only (0600) Unix socket of the API, for the CLI. */
  socket: string;
  /** stdout and stderr of a daemon started in the background by `sipprotd start`. */
  logFile: string;
}

export function runtimePaths(config: Pick<Config, 'stateDir'>): RuntimePaths {
  return {
    pidFile: join(config.stateDir, 'sipprotd.pid'),
    socket: join(config.stateDir, 'sipprotd.sock'),
    logFile: join(config.stateDir, 'sipprotd.log'),
  };
}
