import { join } from 'node:path';
import type { Config } from '../core/types.js';

/** Runtime files live in STATE_DIR so one setting moves everything (tests use temp dirs). */
export function runtimePaths(config: Pick<Config, 'stateDir'>) {
  return {
    pidFile: join(config.stateDir, 'sipprotd.pid'),
    socket: join(config.stateDir, 'sipprotd.sock'),
    logFile: join(config.stateDir, 'sipprotd.log'),
  };
}
