/**
 * Cluster mode end to end (issue 14; root): three real sipprotd hosts in network namespaces
 * share a real redis-server (password, appendonly) in a fourth. A real sipp brute force
 * against the lab PBX (host a, Kamailio) is blocked in all three kernels; deny, allow and
 * unblock on any host reach all; Redis stopped mid-attack and restarted (hosts keep
 * enforcing and catch up both ways); a host killed with -9 right after a change rejoins
 * without losing it; a partitioned host heals. Asserted in each namespace's nftables sets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { labUnavailable } from '../lab/lab.testkit.js';
import { ClusterLab } from './cluster.testkit.js';

describe('cluster mode: three hosts, one Redis (netns, root)', () => {
  let c: ClusterLab;

  before(async () => {
    const why = labUnavailable();
    assert.equal(why, null, `cannot run the SIP lab: ${why}`);
    c = await ClusterLab.up({ settings: { HIT_COUNT: 5, MONIT_PERIOD: 60, BLOCKTIME: 300 } });
  });
  after(async () => {
    await c?.down();
  });

  const attack = async (src?: string) => {
    const r = await c.lab.script('bruteforce', [
      '--count',
      '8',
      '--rate',
      '20',
      '--timeout',
      '10',
      ...(src ? ['--src', src] : []),
    ]);
    assert.equal(r.code, 0, `bruteforce.sh: ${r.stderr}`);
  };

  it('a real attack on one host is blocked in every host’s kernel, with the host that saw it', async () => {
    const ip = c.lab.addr.atk4;
    await attack();
    await c.waitEverywhere('the attacker blocked', 'dyn', ip);
    const b = await c.guards[1]!.dynamicOf(ip);
    assert.equal(b?.host, 'pbx-a');
    assert.equal(b?.reason, 'auth-failures');
    const s = await c.status(2);
    assert.deepEqual(s.cluster, { host: 'pbx-c', redis: 'up', outbox: 0 });
  });

  it('deny, allow and unblock on any host reach all', async () => {
    const [a, b, cc] = c.guards as [(typeof c.guards)[0], (typeof c.guards)[0], (typeof c.guards)[0]];
    assert.equal((await b.cli('deny', 'add', '198.51.100.7', 'abuse ticket 7')).code, 0);
    await c.waitEverywhere('the deny entry', 'deny', '198.51.100.7');
    assert.deepEqual(
      JSON.parse((await cc.cli('deny', 'list', '--json')).stdout),
      [{ network: '198.51.100.7', note: 'abuse ticket 7' }],
      'with its note',
    );
    assert.equal((await cc.cli('allow', 'add', '198.51.100.9', 'the one good host')).code, 0);
    await c.waitEverywhere('the allow entry', 'allow', '198.51.100.9');
    assert.equal((await a.cli('unblock', c.lab.addr.atk4)).code, 0);
    await c.waitEverywhere('the unblock', 'dyn', c.lab.addr.atk4, false);
  });

  it('Redis stopped mid-attack: every host keeps enforcing and both sides catch up when it returns', async () => {
    const [a, b] = c.guards as [(typeof c.guards)[0], (typeof c.guards)[0]];
    await c.redis.stop('SIGKILL');
    const src = c.lab.extraAttacker4(1);
    await attack(src);
    await waitKernel(a, 'dyn', src);
    assert.equal((await b.cli('deny', 'add', '203.0.113.99', 'added while Redis was down')).code, 0);
    assert.ok((await b.kernelSet('deny')).has('203.0.113.99'), 'b enforces its own change at once');
    assert.equal((await c.guards[2]!.kernelSet('dyn')).has(src), false, 'no propagation without Redis');
    await c.redis.start();
    await c.waitEverywhere('the block made while Redis was down', 'dyn', src, true, 20_000);
    await c.waitEverywhere('the deny entry made while Redis was down', 'deny', '203.0.113.99', true, 20_000);
  });

  it('a host killed with -9 right after a change rejoins without losing anything', async () => {
    const b = c.guards[1]!;
    assert.equal((await b.cli('deny', 'add', '203.0.113.77', 'just before the crash')).code, 0);
    await b.kill9();
    const src = c.lab.extraAttacker4(2);
    await attack(src);
    await waitKernel(c.guards[0]!, 'dyn', src);
    await b.start();
    await c.waitEverywhere('the change b made before it died', 'deny', '203.0.113.77', true, 20_000);
    await c.waitEverywhere('the block made while b was dead', 'dyn', src, true, 20_000);
  });

  it('a partitioned host keeps enforcing and heals', async () => {
    const cc = c.guards[2]!;
    await c.partition(2, true);
    try {
      assert.equal((await c.guards[0]!.cli('deny', 'add', '203.0.113.55', 'during the partition')).code, 0);
      assert.equal((await cc.cli('deny', 'add', '203.0.113.56', 'inside the partition')).code, 0);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await cc.kernelSet('deny')).has('203.0.113.55'), false, 'cut off from the fleet');
      assert.ok((await cc.kernelSet('deny')).has('203.0.113.56'), 'still enforcing its own');
    } finally {
      await c.partition(2, false);
    }
    await c.waitEverywhere('the fleet’s change on the healed host', 'deny', '203.0.113.55', true, 30_000);
    await c.waitEverywhere('the healed host’s change on the fleet', 'deny', '203.0.113.56', true, 30_000);
  });
});

async function waitKernel(
  g: { kernelSet(k: 'dyn' | 'deny'): Promise<Map<string, unknown>> },
  kind: 'dyn' | 'deny',
  ip: string,
) {
  const end = Date.now() + 15_000;
  while (!(await g.kernelSet(kind)).has(ip)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${ip} in ${kind}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
