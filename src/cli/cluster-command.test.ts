/** `sipprot cluster status`: single host, a fleet seen through a real redis-server, Redis down. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RedisBus } from '../cluster/redis-bus.js';
import { RedisServer } from '../cluster/redis-server.testkit.js';
import { parseConfig } from '../core/config/parse.js';
import type { Config } from '../core/types.js';
import { clusterCommands } from './cluster-command.js';
import { runCli } from './program.js';

describe('sipprot cluster status', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-cluster-cli-'));
  let server: RedisServer;
  const run = async (config: Config, ...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, {
      io: { out: (s) => (out += s), err: (s) => (err += s) },
      admin: async () => {
        throw new Error('not used');
      },
      extensions: [clusterCommands({ config: () => config, clock: () => 1000 })],
    });
    return { code, out, err };
  };
  const conf = (extra: string) =>
    parseConfig(`STATE_DIR=${dir}/state\n${extra}`, { source: join(dir, 'sipprot.conf') });

  before(async () => {
    server = await RedisServer.start({ password: 'cli-secret' });
  });
  after(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so on a single host', async () => {
    const r = await run(conf(''), 'cluster', 'status');
    assert.deepEqual([r.code, r.out], [0, 'cluster: off (single host: CLUSTER_REDIS_URL is not set)\n']);
    assert.equal((await run(conf(''), 'cluster', 'status', '--json')).out, '{\n  "cluster": null\n}\n');
  });

  it('with the daemon down, reads the hosts and the stream from Redis', async () => {
    const bus = new RedisBus({ url: server.url });
    await bus.ready(5000);
    for (const [host, at] of [
      ['pbx-a', 995],
      ['pbx-b', 940],
    ] as const)
      await bus.heartbeat({
        host,
        at,
        startedAt: 900,
        version: '0.1.0',
        lastId: '0-0',
        outbox: host === 'pbx-b' ? 3 : 0,
        rejected: 0,
      });
    await bus.close();
    const config = conf(`CLUSTER_REDIS_URL=${server.url}\nCLUSTER_HOST_ID=pbx-a\n`);
    const r = await run(config, 'cluster', 'status');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /this host: pbx-a \(sipprotd not running\)/);
    assert.match(r.out, /redis: up/);
    assert.match(r.out, /\| pbx-a \| 5 s ago +\|/);
    assert.match(r.out, /\| pbx-b \| 60 s ago +\| .* \| 3 +\|/);
    const j = JSON.parse((await run(config, 'cluster', 'status', '--json')).out);
    assert.deepEqual(
      j.cluster.hosts.map((h: { host: string; ageSeconds: number }) => [h.host, h.ageSeconds]),
      [
        ['pbx-a', 5],
        ['pbx-b', 60],
      ],
    );
    assert.equal(j.daemon, false);
  });

  it('Redis unreachable (or a wrong password): exit 1 and the reason, never a hang', async () => {
    const bad = conf(`CLUSTER_REDIS_URL=redis://:wrong@127.0.0.1:${server.port}\n`);
    const t0 = Date.now();
    const r = await run(bad, 'cluster', 'status');
    assert.equal(r.code, 1);
    assert.match(r.out, /redis: down/);
    assert.ok(Date.now() - t0 < 8000);
  });
});
