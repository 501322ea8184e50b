import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FirewallState } from '../ports/firewall.js';
import { DEFAULT_FIREWALL_OPTIONS, emptyFirewallState } from '../ports/firewall.js';
import { FakeFirewall } from './firewall.fake.js';
import { desiredState, dynamicBlocks, ReconcilingFirewall } from './reconcile.js';

describe('desiredState', () => {
  it('maps store records, lists and config; expired blocks are left out', () => {
    const s = desiredState({
      allow: [{ network: '192.0.2.15' }],
      deny: [{ network: '192.0.2.0/24' }],
      countries: ['203.0.113.0/24'],
      blocks: [
        { ip: '198.51.100.1', expiresAt: 1600 },
        { ip: '198.51.100.2', expiresAt: 1000 },
        { ip: '198.51.100.3', expiresAt: null },
      ],
      feeds: [{ network: '203.0.113.64/26', expiresIn: 300 }],
      config: { tftp: { enabled: false, rate: { count: 5, per: 'hour' }, burst: 9 }, dnsProtection: true },
      now: 1000,
    });
    assert.deepEqual(s, {
      allow: ['192.0.2.15'],
      deny: ['192.0.2.0/24'],
      countries: ['203.0.113.0/24'],
      dynamic: [
        { ip: '198.51.100.1', expiresIn: 600 },
        { ip: '198.51.100.3', expiresIn: null },
      ],
      feeds: [{ network: '203.0.113.64/26', expiresIn: 300 }],
      options: { tftp: { enabled: false, rate: { count: 5, per: 'hour' }, burst: 9 }, dns: true },
    });
    assert.deepEqual(dynamicBlocks([], 0), []);
  });
});

describe('ReconcilingFirewall', () => {
  function setup() {
    const fake = new FakeFirewall({ now: () => 0 });
    // The "store": what the daemon has already written before touching the firewall.
    const store: FirewallState = { ...emptyFirewallState(), deny: ['192.0.2.0/24'] };
    let reads = 0;
    const fw = new ReconcilingFirewall(fake, async () => {
      reads++;
      return structuredClone(store);
    });
    return { fake, store, fw, reads: () => reads };
  }

  it('answers a failed change with one init from the store', async () => {
    const { fake, store, fw } = setup();
    await fw.init(store);
    store.dynamic.push({ ip: '198.51.100.7', expiresIn: 600 });
    fake.failNext();
    await fw.block('198.51.100.7', 600);
    const s = await fw.snapshot();
    assert.deepEqual(
      s.dynamic.map((d) => d.ip),
      ['198.51.100.7'],
    );
    assert.deepEqual(s.deny, ['192.0.2.0/24']);
    assert.equal(fw.reconciles, 1);
  });

  it('concurrent failures share one reconcile', async () => {
    const { fake, store, fw, reads } = setup();
    await fw.init(store);
    fake.failNext();
    fake.failNext();
    await Promise.all([fw.block('198.51.100.8', 60), fw.unblock('198.51.100.9')]);
    assert.equal(reads(), 1);
    assert.equal(fw.reconciles, 1);
  });

  it('a shutdown waits for a reconcile in flight and none starts after it: the table stays removed', async () => {
    // The daemon stopping while a change its nft helper (killed) refused is being answered:
    // the reconcile's init landed after the shutdown's delete and left the table behind.
    const fake = new FakeFirewall({ now: () => 0 });
    let release = () => {};
    const storeRead = new Promise<void>((r) => {
      release = r;
    });
    const fw = new ReconcilingFirewall(fake, async () => {
      await storeRead;
      return emptyFirewallState();
    });
    await fw.init(emptyFirewallState());
    fake.failNext();
    const refused = fw.block('198.51.100.7', 600);
    await new Promise((r) => setImmediate(r));
    const down = fw.shutdown();
    release();
    await Promise.all([refused, down]);
    await assert.rejects(fake.snapshot(), /table inet sipprot does not exist/);
    fake.failNext();
    await assert.rejects(fw.block('198.51.100.8', 600), { code: 'SP_ERR_FIREWALL' });
    await assert.rejects(
      fake.snapshot(),
      /table inet sipprot does not exist/,
      'no reconcile after the shutdown',
    );
    assert.equal(fw.reconciles, 1);
  });

  it('does not reconcile on bad input, and throws when the reconcile fails too', async () => {
    const { fake, store, fw, reads } = setup();
    await fw.init(store);
    await assert.rejects(fw.block('127.0.0.1', 60), { code: 'SP_ERR_ADDRESS_INVALID' });
    assert.equal(reads(), 0);
    fake.failNext('first');
    fake.failNext('second');
    await assert.rejects(fw.setOptions(DEFAULT_FIREWALL_OPTIONS), {
      code: 'SP_ERR_FIREWALL',
      message: 'second',
    });
    assert.equal(fw.reconciles, 0);
  });
});
