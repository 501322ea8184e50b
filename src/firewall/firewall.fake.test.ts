import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyFirewallState } from '../ports/firewall.js';
import { firewallContract } from './firewall.contract.js';
import { FakeFirewall } from './firewall.fake.js';

firewallContract('FakeFirewall', async () => {
  let now = 1_700_000_000;
  const fw = new FakeFirewall({ now: () => now });
  return {
    fw,
    advance: async (s) => {
      now += s;
    },
    cleanup: async () => {},
  };
});

describe('FakeFirewall extras', () => {
  it('wouldDrop follows the kernel rule order: allow beats deny, dynamic and country', async () => {
    let now = 0;
    const fw = new FakeFirewall({ now: () => now });
    await fw.init({
      ...emptyFirewallState(),
      allow: ['192.168.50.15'],
      deny: ['192.168.50.0/24'],
      countries: ['203.0.113.0/24'],
      dynamic: [{ ip: '198.51.100.1', expiresIn: 10 }],
    });
    assert.equal(fw.wouldDrop('192.168.50.15'), null);
    assert.equal(fw.wouldDrop('192.168.50.16'), 'deny');
    assert.equal(fw.wouldDrop('203.0.113.9'), 'country');
    assert.equal(fw.wouldDrop('198.51.100.1'), 'dynamic');
    now = 10;
    assert.equal(fw.wouldDrop('198.51.100.1'), null);
    assert.equal(fw.wouldDrop('198.51.100.2'), null);
  });

  it('failNext makes the next call fail with SP_ERR_FIREWALL, once', async () => {
    const fw = new FakeFirewall();
    await fw.init(emptyFirewallState());
    fw.failNext('boom');
    await assert.rejects(fw.block('192.0.2.1', 5), { code: 'SP_ERR_FIREWALL', message: 'boom' });
    await fw.block('192.0.2.1', 5);
    assert.equal((await fw.snapshot()).dynamic.length, 1);
  });
});
