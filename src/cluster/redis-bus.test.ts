/** The ClusterBus contract on a real redis-server (apt), started on a free loopback port. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { clusterBusContract } from './cluster.contract.js';
import { RedisBus } from './redis-bus.js';
import { RedisServer } from './redis-server.testkit.js';

const run = promisify(execFile);

clusterBusContract('RedisBus (redis-server)', async () => {
  const server = await RedisServer.start({ password: 'contract-secret' });
  const cli = (...args: string[]) =>
    run('redis-cli', ['-p', String(server.port), '--no-auth-warning', '-a', 'contract-secret', ...args]);
  return {
    bus: async (opts) => new RedisBus({ url: server.url, maxLen: opts?.maxLen, timeoutMs: 1500 }),
    reset: async () => void (await cli('FLUSHALL')),
    inject: async (raw) => void (await cli('XADD', '{sipprot}:events', '*', 'e', raw)),
    outage: async () => {
      await server.stop();
      return () => server.start();
    },
    dispose: () => server.dispose(),
  };
});
