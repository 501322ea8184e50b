/**
 * Cluster mode on a real redis-server (apt), three in-process daemons (fake firewall, frames
 * handed in), host pbx-b reaching Redis through a TCP relay this test can cut and restore: a
 * real partition of one host, real reconnections, the real Lua scripts. What it checks is
 * what a returning host must not do (issue 14 follow-up):
 * - a manual unblock done while pbx-b was partitioned, and pbx-b kept renewing the block
 *   there (the attacker still hit it), must not come back when pbx-b returns;
 * - after the unblock's tombstone was pruned (a week later) and the stream trimmed, a host
 *   that comes back with the old block must still not resurrect it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { HttpAdmin } from '../admin/http-admin.js';
import { RedisBus } from '../cluster/redis-bus.js';
import { freePort, RedisServer } from '../cluster/redis-server.testkit.js';
import { parseConfig } from '../core/config/parse.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import type { ClusterStatus } from '../ports/cluster.js';
import { Daemon } from './daemon.js';
import { answer, RAW_IP, register } from './frames.testkit.js';

/** A TCP relay to Redis on its own loopback port: `cut` drops every connection and refuses new ones. */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  static async start(target: number): Promise<Relay> {
    const r = new Relay(await freePort(), target);
    await r.heal();
    return r;
  }

  async heal(): Promise<void> {
    const server = createServer((c) => {
      const up = tcpConnect(this.target, '127.0.0.1');
      for (const s of [c, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      c.pipe(up);
      up.pipe(c);
    });
    await new Promise<void>((res) => server.listen(this.port, '127.0.0.1', res));
    this.server = server;
  }

  async cut(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const x of this.sockets) x.destroy();
    if (s) await new Promise<void>((res) => s.close(() => res()));
  }
}

interface Host {
  name: string;
  daemon: Daemon;
  firewall: FakeFirewall;
  admin: HttpAdmin;
}

const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('cluster mode on real Redis: what a returning host must not bring back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-cluster2-redis-'));
  let redis: RedisServer;
  let relay: Relay;
  const hosts: Host[] = [];

  const start = async (name: string, url: string): Promise<Host> => {
    mkdirSync(join(dir, name), { recursive: true });
    const conf = join(dir, name, 'sipprot.conf');
    writeFileSync(
      conf,
      // BLOCKTIME 30: a renewal is written out every 3 s (a tenth), so the partitioned host's reach its outbox soon.
      `STATE_DIR=${join(dir, name, 'state')}\nHIT_COUNT=3\nBLOCKTIME=30\nWEB_LISTEN=off\n` +
        `CLUSTER_REDIS_URL=${url}\nCLUSTER_HOST_ID=${name}\n`,
    );
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    const firewall = new FakeFirewall();
    const daemon = await Daemon.start(config, {
      firewall,
      capture: false,
      logger: pino({ level: process.env.CLUSTER_TEST_LOG ?? 'silent' }),
      configPath: conf,
    });
    return { name, daemon, firewall, admin: new HttpAdmin(runtimePaths(config).socket) };
  };
  const attack = (h: Host, ip: string, n = 3) => {
    const t = Date.now() / 1000;
    for (let i = 0; i < n; i++) {
      const id = `c2${ip}-${i}-${Math.random()}`;
      h.daemon.packets.onFrame(RAW_IP, t + i * 0.01, register(ip, 5070, id, 1, true, 'friendly-scanner'));
      h.daemon.packets.onFrame(RAW_IP, t + i * 0.01 + 0.001, answer(ip, 5070, id, 1, '401 Unauthorized'));
    }
  };
  const cluster = async (h: Host) =>
    (await h.admin.call<{ cluster: ClusterStatus }>('GET', '/api/cluster')).cluster;
  const blockedAnywhere = (ip: string) =>
    hosts.filter((h) => h.firewall.wouldDrop(ip) !== null).map((h) => h.name);

  /** Cuts pbx-b off Redis; it keeps seeing the attacker and renewing `ip` (its outbox fills). */
  const partitionWhileRenewing = async (b: Host, ip: string) => {
    await relay.cut();
    await until('b sees Redis down', async () => (await cluster(b)).redis === 'down');
    const outbox = (await cluster(b)).outbox;
    await until('b renewed the block in its outbox', async () => {
      attack(b, ip);
      await b.daemon.settle();
      await new Promise((r) => setTimeout(r, 300));
      return (await cluster(b)).outbox > outbox;
    });
  };
  const heal = async (b: Host) => {
    await relay.heal();
    await until('b back, outbox flushed', async () => {
      const s = await cluster(b);
      return s.redis === 'up' && s.outbox === 0 && s.lastError === null;
    });
  };

  before(async () => {
    redis = await RedisServer.start();
    relay = await Relay.start(redis.port);
    hosts.push(await start('pbx-a', redis.url));
    hosts.push(await start('pbx-b', `redis://127.0.0.1:${relay.port}`));
    hosts.push(await start('pbx-c', redis.url));
    for (const h of hosts) await until(`${h.name} up`, async () => (await cluster(h)).redis === 'up');
  });
  after(async () => {
    for (const h of hosts) await h.daemon.stop().catch(() => undefined);
    await relay.cut();
    await redis.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a manual unblock done while a host was partitioned stays lifted when it returns', async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    const ip = '203.0.113.21';
    attack(a, ip);
    await until('the block on every host', () => blockedAnywhere(ip).length === 3);
    await partitionWhileRenewing(b, ip);
    await a.admin.unblock(ip);
    await until(
      'lifted on a and c',
      () => a.firewall.wouldDrop(ip) === null && c.firewall.wouldDrop(ip) === null,
    );
    assert.equal(b.firewall.wouldDrop(ip), 'dynamic', 'b, cut off, still holds it');
    await heal(b);
    await until('lifted on b too', () => b.firewall.wouldDrop(ip) === null);
    // Long enough for b's re-sent renewals to have reached a and c (they did, and the block came back).
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(blockedAnywhere(ip), [], 'the block stays lifted everywhere');
    for (const h of hosts) {
      await h.daemon.settle();
      assert.equal(
        (await h.admin.dynamicBlocks()).some((x) => x.ip === ip),
        false,
        h.name,
      );
    }
    // A new attack after the unblock is a new block, everywhere.
    attack(c, ip);
    await until('a new block everywhere', () => blockedAnywhere(ip).length === 3);
  });

  it('after the unblock’s tombstone is pruned and the stream trimmed, a returning host still cannot resurrect it', async () => {
    const [a, b] = hosts as [Host, Host, Host];
    const ip = '203.0.113.22';
    attack(a, ip);
    await until('the block on every host', () => blockedAnywhere(ip).length === 3);
    await partitionWhileRenewing(b, ip);
    await a.admin.unblock(ip);
    await until('lifted on a and c', () => blockedAnywhere(ip).join() === 'pbx-b');
    // A week later: one host pruned the tombstones (what the sync does hourly with a 7-day
    // horizon), and the stream was trimmed past what b had read.
    const bus = new RedisBus({ url: redis.url });
    const raw = new Redis(redis.url);
    try {
      await bus.ready(5000);
      const now = Date.now() / 1000 + 1;
      assert.ok((await bus.pruneTombstones(now)) >= 1);
      assert.equal((await bus.snapshot()).fleet.unblocked.has(ip), false, 'the tombstone is gone');
      await raw.xtrim('{sipprot}:events', 'MAXLEN', 0);
    } finally {
      await bus.close();
      raw.disconnect();
    }
    await heal(b);
    await until('lifted on b', () => b.firewall.wouldDrop(ip) === null);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(blockedAnywhere(ip), [], 'nothing came back');
    const s = new RedisBus({ url: redis.url });
    try {
      await s.ready(5000);
      assert.equal((await s.snapshot()).fleet.blocks.has(ip), false, 'nor in the fleet’s snapshot');
    } finally {
      await s.close();
    }
  });
});
