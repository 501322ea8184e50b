/**
 * Cluster mode wired end to end in one process (issue 14): three real daemons (fake firewall,
 * frames handed in, CLI over each daemon's socket) sharing one FakeClusterBus. The same flows
 * run against real Redis, nftables and SIP tools in test/e2e/cluster.test.ts; this one is
 * fast and checks the decision paths: a block on one host is a decision on the others (with
 * the origin host), lists and unblocks from any host reach all, an allow entry added on one
 * host lifts the block everywhere, an outage queues and catches up both ways, malformed events are
 * refused and counted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAdmin } from '../admin/http-admin.js';
import { FakeClusterBus } from '../cluster/cluster.fake.js';
import { parseConfig } from '../core/config/parse.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { SHIPPED_TABLE } from '../geoip/files.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import type { ClusterStatus } from '../ports/cluster.js';
import { Daemon } from './daemon.js';
import { answer, RAW_IP, register } from './frames.testkit.js';

interface Host {
  name: string;
  daemon: Daemon;
  firewall: FakeFirewall;
  admin: HttpAdmin;
}

const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('cluster mode, three daemons on one fake Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-cluster-'));
  const redis = new FakeClusterBus();
  const hosts: Host[] = [];

  const start = async (name: string): Promise<Host> => {
    const conf = join(dir, name, 'sipprot.conf');
    const state = join(dir, name, 'state');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(
      conf,
      `STATE_DIR=${state}\nHIT_COUNT=3\nBLOCKTIME=600\nWEB_LISTEN=off\nCLUSTER_REDIS_URL=redis://127.0.0.1:1\nCLUSTER_HOST_ID=${name}\n`,
    );
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    const firewall = new FakeFirewall();
    const daemon = await Daemon.start(config, {
      firewall,
      capture: false,
      logger: pino({ level: process.env.CLUSTER_TEST_LOG ?? 'silent' }),
      configPath: conf,
      clusterBus: redis.connect(),
    });
    return { name, daemon, firewall, admin: new HttpAdmin(runtimePaths(config).socket) };
  };

  const attack = (h: Host, ip: string, n = 3) => {
    const t = Date.now() / 1000;
    for (let i = 0; i < n; i++) {
      const id = `c${ip}-${i}-${Math.random()}`;
      h.daemon.packets.onFrame(RAW_IP, t + i * 0.01, register(ip, 5070, id, 1, true, 'friendly-scanner'));
      h.daemon.packets.onFrame(RAW_IP, t + i * 0.01 + 0.001, answer(ip, 5070, id, 1, '401 Unauthorized'));
    }
  };
  const cluster = async (h: Host) =>
    (await h.admin.call<{ cluster: ClusterStatus }>('GET', '/api/cluster')).cluster;

  before(async () => {
    for (const name of ['pbx-a', 'pbx-b', 'pbx-c']) hosts.push(await start(name));
    for (const h of hosts) await until(`${h.name} in sync`, async () => (await cluster(h)).redis === 'up');
  });
  after(async () => {
    for (const h of hosts) await h.daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an attack seen by one host is blocked on every host, each saying which host saw it', async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    attack(a, '203.0.113.10');
    await until(
      'the block on b and c',
      () =>
        b.firewall.wouldDrop('203.0.113.10') === 'dynamic' &&
        c.firewall.wouldDrop('203.0.113.10') === 'dynamic',
    );
    // In b's kernel at once; in its store once the writer thread committed it (under load,
    // after the first settle sometimes: waited for, not assumed).
    let rec: Awaited<ReturnType<HttpAdmin['dynamicBlocks']>>[number] | undefined;
    await until('the block in b’s store', async () => {
      await b.daemon.settle();
      rec = (await b.admin.dynamicBlocks()).find((x) => x.ip === '203.0.113.10');
      return rec !== undefined;
    });
    assert.equal(rec?.host, 'pbx-a');
    assert.equal(rec?.reason, 'scanner');
    assert.equal(rec?.userAgent, 'friendly-scanner');
    await until('a’s own record in its store', async () => {
      await a.daemon.settle();
      return (await a.admin.dynamicBlocks()).some((x) => x.ip === '203.0.113.10');
    });
    assert.equal((await a.admin.dynamicBlocks()).find((x) => x.ip === '203.0.113.10')?.host, 'pbx-a');
    const status = await b.admin.status();
    assert.deepEqual(status.cluster && [status.cluster.host, status.cluster.redis], ['pbx-b', 'up']);
    // The attack a saw is in b's store for the fleet's reports (through b's own commit).
    await until('a’s attack in b’s store', async () => {
      await b.daemon.settle();
      const attacks = await b.admin.call<Array<{ ip: string; host?: string }>>(
        'GET',
        '/api/attacks?limit=50',
      );
      return attacks.some((x) => x.ip === '203.0.113.10' && x.host === 'pbx-a');
    });
  });

  it('allowing an address on one host lifts its block on every host (allow beats everything)', async () => {
    const [a, , c] = hosts as [Host, Host, Host];
    attack(a, '192.0.2.200');
    await until('the block everywhere', () =>
      hosts.every((h) => h.firewall.wouldDrop('192.0.2.200') === 'dynamic'),
    );
    await c.admin.addEntries('allow', [{ network: '192.0.2.200', note: 'a customer behind NAT' }]);
    await until('lifted everywhere', () => hosts.every((h) => h.firewall.wouldDrop('192.0.2.200') === null));
    for (const h of hosts) {
      await h.daemon.settle();
      assert.equal((await h.admin.check('192.0.2.200')).blocked, false, h.name);
    }
    attack(a, '192.0.2.200');
    await a.daemon.settle();
    assert.equal(a.firewall.wouldDrop('192.0.2.200'), null, 'allowed now: never blocked again');
  });

  it('deny, allow and unblock on any host reach all', async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    await b.admin.addEntries('deny', [{ network: '198.51.100.0/24', note: 'abuse desk ticket 7' }]);
    await until('the deny entry everywhere', () =>
      hosts.every((h) => h.firewall.wouldDrop('198.51.100.9') === 'deny'),
    );
    // A fleet change is in the kernel first and in the list file right after.
    await until(
      'the deny entry in c’s list file',
      async () => (await c.admin.listEntries('deny')).length > 0,
    );
    assert.deepEqual(await c.admin.listEntries('deny'), [
      { network: '198.51.100.0/24', note: 'abuse desk ticket 7' },
    ]);
    await c.admin.addEntries('allow', [{ network: '198.51.100.9', note: 'the one good host' }]);
    await until('the allow entry everywhere', () =>
      hosts.every((h) => h.firewall.wouldDrop('198.51.100.9') === null),
    );
    await a.admin.removeEntries('deny', ['198.51.100.0/24']);
    await until('the deny entry gone everywhere', () =>
      hosts.every((h) => h.firewall.wouldDrop('198.51.100.7') === null),
    );
    await c.admin.unblock('203.0.113.10');
    await until('the unblock everywhere', () =>
      hosts.every((h) => h.firewall.wouldDrop('203.0.113.10') === null),
    );
    await a.daemon.settle();
    assert.equal(
      (await a.admin.dynamicBlocks()).some((x) => x.ip === '203.0.113.10'),
      false,
    );
  });

  it('Redis down: hosts keep enforcing, queue what they learn, and catch up both ways', async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    redis.setDown(true);
    attack(a, '203.0.113.66');
    await b.admin.addEntries('deny', [{ network: '203.0.113.99', note: 'added while Redis was down' }]);
    assert.equal(a.firewall.wouldDrop('203.0.113.66'), 'dynamic', 'enforced locally at once');
    await until('b sees its own deny entry', () => b.firewall.wouldDrop('203.0.113.99') === 'deny');
    await a.daemon.settle();
    await until('a queued its block', async () => (await cluster(a)).outbox > 0);
    assert.equal(c.firewall.wouldDrop('203.0.113.66'), null, 'no propagation without Redis');
    redis.setDown(false);
    await until('catch-up both ways', () =>
      hosts.every(
        (h) =>
          h.firewall.wouldDrop('203.0.113.66') === 'dynamic' &&
          h.firewall.wouldDrop('203.0.113.99') === 'deny',
      ),
    );
    await until('outboxes empty', async () =>
      (await Promise.all(hosts.map(cluster))).every((s) => s.outbox === 0),
    );
  });

  it('a malformed event is refused, counted and changes nothing', async () => {
    const [, b] = hosts as [Host, Host];
    const before = (await cluster(b)).rejected;
    redis.injectRaw(
      JSON.stringify({
        v: 1,
        type: 'block',
        host: 'evil',
        id: 'evil:1',
        at: 1,
        action: 'block',
        block: { ip: '10.0.0.0/8; flush ruleset' },
      }),
    );
    await until('b counted it', async () => (await cluster(b)).rejected === before + 1);
    assert.equal(b.firewall.wouldDrop('10.1.2.3'), null);
    await until('every host in the heartbeat list', async () => (await cluster(b)).hosts.length === 3);
    assert.deepEqual(
      (await cluster(b)).hosts.map((h) => h.host),
      ['pbx-a', 'pbx-b', 'pbx-c'],
    );
  });
});

describe('cluster mode: a new host joins', () => {
  it('takes the fleet’s geo-IP table: the same bytes, digest checked, loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-cluster-geo-'));
    const redis = new FakeClusterBus();
    const { copyFileSync, mkdirSync } = await import('node:fs');
    const start = async (name: string) => {
      mkdirSync(join(dir, name, 'state', 'geoip'), { recursive: true });
      const conf = join(dir, name, 'sipprot.conf');
      writeFileSync(
        conf,
        `STATE_DIR=${join(dir, name, 'state')}\nWEB_LISTEN=off\nCLUSTER_REDIS_URL=redis://127.0.0.1:1\nCLUSTER_HOST_ID=${name}\n`,
      );
      const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
      const daemon = await Daemon.start(config, {
        firewall: new FakeFirewall(),
        capture: false,
        logger: pino({ level: process.env.CLUSTER_TEST_LOG ?? 'silent' }),
        configPath: conf,
        clusterBus: redis.connect(),
      });
      return { daemon, table: join(dir, name, 'state', 'geoip', 'current.bin.gz') };
    };
    // Host a updated its table (here: the shipped bytes, a valid table) before it joined.
    mkdirSync(join(dir, 'pbx-a', 'state', 'geoip'), { recursive: true });
    copyFileSync(SHIPPED_TABLE, join(dir, 'pbx-a', 'state', 'geoip', 'current.bin.gz'));
    const a = await start('pbx-a');
    const b = await start('pbx-b');
    try {
      await until('b has a’s table', () => existsSync(b.table), 20_000);
      assert.deepEqual(readFileSync(b.table), readFileSync(a.table));
    } finally {
      await b.daemon.stop();
      await a.daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads the fleet’s deny list (10k entries) and blocks from the snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-cluster-join-'));
    const redis = new FakeClusterBus();
    const start = async (name: string) => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(dir, name), { recursive: true });
      const conf = join(dir, name, 'sipprot.conf');
      writeFileSync(
        conf,
        `STATE_DIR=${join(dir, name, 'state')}\nWEB_LISTEN=off\nCLUSTER_REDIS_URL=redis://127.0.0.1:1\nCLUSTER_HOST_ID=${name}\n`,
      );
      const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
      const firewall = new FakeFirewall();
      const daemon = await Daemon.start(config, {
        firewall,
        capture: false,
        logger: pino({ level: process.env.CLUSTER_TEST_LOG ?? 'silent' }),
        configPath: conf,
        clusterBus: redis.connect(),
      });
      return { daemon, firewall, admin: new HttpAdmin(runtimePaths(config).socket) };
    };
    const a = await start('pbx-a');
    try {
      const csv = [
        'network,note',
        ...Array.from(
          { length: Number(process.env.JOIN_N ?? 10_000) },
          (_, i) => `100.${64 + (i >> 15)}.${(i >> 7) & 255}.${(i & 127) * 2 + 1},from a`,
        ),
      ];
      await a.admin.importCsv('deny', csv.join('\n'), { skipInvalid: false });
      await until(
        'a published the list',
        async () =>
          (await a.admin.call<{ cluster: ClusterStatus }>('GET', '/api/cluster')).cluster.outbox === 0,
      );
      // Allow entries too (allow beats deny on every host): one covers a deny entry.
      await a.admin.addEntries('allow', [{ network: '100.64.0.0/30', note: 'office' }]);
      await until(
        'a published the allow entry',
        async () =>
          (await a.admin.call<{ cluster: ClusterStatus }>('GET', '/api/cluster')).cluster.outbox === 0,
      );
      let d = await start('pbx-d');
      try {
        const n = Number(process.env.JOIN_N ?? 10_000);
        await until('the list on the new host', () => d.firewall.wouldDrop('100.64.0.5') === 'deny', 20_000);
        await until('the list in d’s file', async () => (await d.admin.listEntries('deny')).length === n);
        // d took the fleet's entries straight into its lists and kernel; a read them from its
        // file (the import): the same kernel sets, the same answers and notes.
        const joined = await d.firewall.snapshot();
        const fromFile = await a.firewall.snapshot();
        assert.deepEqual(joined.deny, fromFile.deny);
        assert.deepEqual(joined.allow, fromFile.allow);
        assert.equal(d.firewall.wouldDrop('100.64.0.1'), null, 'allowed: allow beats deny');
        const check = async (h: { admin: HttpAdmin }) => {
          const r = await h.admin.check('100.64.0.5');
          return { blocked: r.blocked, deny: r.deny, allow: r.allow };
        };
        assert.deepEqual(await check(d), await check(a));
        // And d restarted reads the same lists back from its file.
        await d.daemon.stop();
        d = await start('pbx-d');
        await until('d in sync again', async () => (await d.admin.listEntries('deny')).length === n);
        assert.deepEqual((await d.firewall.snapshot()).deny, fromFile.deny);
      } finally {
        await d.daemon.stop();
      }
    } finally {
      await a.daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cluster mode: a peer cannot lock a host’s admin out', () => {
  it('a fleet country change that cuts off this host’s SSH peer is refused here, applied elsewhere, and never reverted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-cluster-lock-'));
    const redis = new FakeClusterBus();
    const { mkdirSync } = await import('node:fs');
    const logs: string[] = [];
    const start = async (name: string, sshPeer: string | null) => {
      mkdirSync(join(dir, name), { recursive: true });
      const conf = join(dir, name, 'sipprot.conf');
      writeFileSync(
        conf,
        `STATE_DIR=${join(dir, name, 'state')}\nWEB_LISTEN=off\nCLUSTER_REDIS_URL=redis://127.0.0.1:1\nCLUSTER_HOST_ID=${name}\n`,
      );
      const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
      const daemon = await Daemon.start(config, {
        firewall: new FakeFirewall(),
        capture: false,
        logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(`${name} ${line}`) }),
        configPath: conf,
        clusterBus: redis.connect(),
        hostFacts: () => ({ own: [], resolvers: [], gateways: [], sshPeers: sshPeer ? [sshPeer] : [] }),
      });
      return { daemon, admin: new HttpAdmin(runtimePaths(config).socket) };
    };
    const a = await start('pbx-a', null);
    const b = await start('pbx-b', '8.8.8.8'); // its admin's SSH session comes from the US
    try {
      await a.admin.call('PATCH', '/api/settings', { changes: { BLOCKED_COUNTRIES: 'US', HIT_COUNT: '7' } });
      await until('b applied the rest', () => b.daemon.config.hitCount === 7);
      assert.deepEqual(b.daemon.config.blockedCountries, [], 'b refused the country that cuts its admin off');
      assert.deepEqual(a.daemon.config.blockedCountries, ['US']);
      // A reload on b (its settings "change") must not send its old countries back as the newest.
      await b.admin.call('POST', '/api/reload');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(a.daemon.config.blockedCountries, ['US'], 'the fleet keeps US');
      // Refused once, said once: the resyncs that follow (every reconnection, every 5 minutes)
      // do not try the same version again (they did, and logged it again, forever).
      const refusals = () =>
        logs.filter((l) => l.startsWith('pbx-b ') && /refused a peer country change/.test(l));
      assert.equal(refusals().length, 1, 'refused once');
      assert.equal(
        logs.filter((l) => l.startsWith('pbx-b ') && /this version is not tried again/.test(l)).length,
        1,
        'recorded and logged once, with the version',
      );
      for (let i = 0; i < 2; i++) {
        const synced = logs.filter((l) => l.startsWith('pbx-b ') && /in sync with the fleet/.test(l)).length;
        redis.setDown(true);
        await new Promise((r) => setTimeout(r, 100));
        redis.setDown(false);
        await until(
          'b resynced',
          () =>
            logs.filter((l) => l.startsWith('pbx-b ') && /in sync with the fleet/.test(l)).length > synced,
        );
      }
      assert.equal(refusals().length, 1, 'the same version is not tried again at a resync');
      assert.deepEqual(b.daemon.config.blockedCountries, []);
      // A newer fleet value is judged afresh: accepted when it locks nothing out here.
      await a.admin.call('PATCH', '/api/settings', { changes: { BLOCKED_COUNTRIES: 'AU' } });
      await until('b took AU', () => b.daemon.config.blockedCountries.join() === 'AU');
    } finally {
      await b.daemon.stop();
      await a.daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
