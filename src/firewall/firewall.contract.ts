/**
 * The Firewall contract: one suite that the fake (firewall.fake.test.ts) and the nftables adapter
 * (test/firewall-netns.test.ts, in a network namespace) both pass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isSipprotError } from '../core/errors.js';
import type { Firewall, FirewallOptions, FirewallState } from '../ports/firewall.js';
import { DEFAULT_FIREWALL_OPTIONS, emptyFirewallState } from '../ports/firewall.js';

export interface ContractSubject {
  fw: Firewall;
  /** Let `seconds` pass: the fake moves its clock, the real one sleeps. */
  advance(seconds: number): Promise<void>;
  cleanup(): Promise<void>;
}

function rejectsWith(code: string) {
  return (e: unknown) => {
    assert.ok(isSipprotError(e), `expected a SipprotError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

const OPTIONS_B: FirewallOptions = {
  tftp: { enabled: false, rate: { count: 3, per: 'second' }, burst: 7 },
  dns: false,
};

function state(partial: Partial<FirewallState>): FirewallState {
  return { ...emptyFirewallState(), ...partial };
}

function ips(s: FirewallState): string[] {
  return s.dynamic.map((d) => d.ip);
}

function expiresIn(s: FirewallState, ip: string): number | null | undefined {
  return s.dynamic.find((d) => d.ip === ip)?.expiresIn;
}

export function firewallContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`Firewall contract: ${name}`, () => {
    let subject: ContractSubject;
    let fw: Firewall;
    before(async () => {
      subject = await make();
      fw = subject.fw;
      await fw.check();
    });
    after(async () => {
      await subject.cleanup();
    });

    it('init loads a whole state, canonicalised, and snapshot reads it back', async () => {
      await fw.init(
        state({
          allow: ['10.0.0.5', '2001:DB8::0:1'],
          deny: ['10.0.0.0/24', '10.0.1.0/24', '10.0.0.7', '198.51.100.0-198.51.100.9', '2001:db8:1::/48'],
          countries: ['203.0.113.0/24', '2001:db8:ff00::/40'],
          dynamic: [
            { ip: '192.0.2.7', expiresIn: 600 },
            { ip: '::ffff:192.0.2.8', expiresIn: null },
            { ip: '2001:db8::99', expiresIn: 120 },
            { ip: '192.0.2.9', expiresIn: 0 },
          ],
          options: DEFAULT_FIREWALL_OPTIONS,
        }),
      );
      const s = await fw.snapshot();
      assert.deepEqual(s.allow, ['10.0.0.5', '2001:db8::1']);
      // Adjacent and contained networks merge; a range becomes the fewest CIDRs.
      assert.deepEqual(s.deny, ['10.0.0.0/23', '198.51.100.0/29', '198.51.100.8/31', '2001:db8:1::/48']);
      assert.deepEqual(s.countries, ['203.0.113.0/24', '2001:db8:ff00::/40']);
      // A block with no time left is not installed; a mapped IPv4 address is IPv4.
      assert.deepEqual(ips(s), ['192.0.2.7', '192.0.2.8', '2001:db8::99']);
      const t7 = expiresIn(s, '192.0.2.7');
      assert.ok(typeof t7 === 'number' && t7 <= 600 && t7 >= 595, `expiresIn ${t7}`);
      assert.equal(expiresIn(s, '192.0.2.8'), null);
      assert.deepEqual(s.options, DEFAULT_FIREWALL_OPTIONS);
    });

    it('init replaces everything that was there', async () => {
      await fw.init(state({ deny: ['192.0.2.0/24'], dynamic: [{ ip: '198.51.100.1', expiresIn: 60 }] }));
      const s = await fw.snapshot();
      assert.deepEqual(s.allow, []);
      assert.deepEqual(s.deny, ['192.0.2.0/24']);
      assert.deepEqual(s.countries, []);
      assert.deepEqual(ips(s), ['198.51.100.1']);
    });

    it('block adds, re-block replaces the timeout, unblock removes (and is idempotent)', async () => {
      await fw.init(emptyFirewallState());
      await fw.block('198.51.100.20', 300);
      await fw.block('2001:db8::20', null);
      let s = await fw.snapshot();
      assert.deepEqual(ips(s), ['198.51.100.20', '2001:db8::20']);
      const first = expiresIn(s, '198.51.100.20');
      assert.ok(typeof first === 'number' && first >= 295 && first <= 300, `expiresIn ${first}`);
      await fw.block('198.51.100.20', 3000);
      await fw.block('2001:db8::20', 50);
      s = await fw.snapshot();
      const longer = expiresIn(s, '198.51.100.20');
      assert.ok(typeof longer === 'number' && longer >= 2995 && longer <= 3000, `expiresIn ${longer}`);
      const shorter = expiresIn(s, '2001:db8::20');
      assert.ok(typeof shorter === 'number' && shorter >= 45 && shorter <= 50, `expiresIn ${shorter}`);
      await fw.block('198.51.100.20', 40);
      s = await fw.snapshot();
      const reduced = expiresIn(s, '198.51.100.20');
      assert.ok(typeof reduced === 'number' && reduced <= 40, `a shorter re-block replaces too: ${reduced}`);
      await fw.unblock('198.51.100.20');
      await fw.unblock('198.51.100.20');
      await fw.unblock('203.0.113.250');
      s = await fw.snapshot();
      assert.deepEqual(ips(s), ['2001:db8::20']);
    });

    it('the kernel lifts a block when its timeout passes', async () => {
      await fw.init(emptyFirewallState());
      await fw.block('198.51.100.30', 1);
      await fw.block('198.51.100.31', 60);
      assert.deepEqual(ips(await fw.snapshot()), ['198.51.100.30', '198.51.100.31']);
      await subject.advance(1.6);
      assert.deepEqual(ips(await fw.snapshot()), ['198.51.100.31']);
    });

    it('many blocks and unblocks made at once are all applied, the last word per address wins', async () => {
      await fw.init(emptyFirewallState());
      const calls: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) calls.push(fw.block(`10.1.${i >> 8}.${i & 255}`, 600));
      for (let i = 0; i < 50; i++) calls.push(fw.block(`2001:db8:5::${(i + 1).toString(16)}`, null));
      calls.push(fw.unblock('10.1.0.7'));
      calls.push(fw.block('10.1.0.8', 5));
      calls.push(fw.unblock('10.1.0.8'));
      calls.push(fw.unblock('10.1.0.9'));
      calls.push(fw.block('10.1.0.9', 90));
      await Promise.all(calls);
      const s = await fw.snapshot();
      assert.equal(s.dynamic.length, 300 + 50 - 2);
      assert.ok(!ips(s).includes('10.1.0.7'));
      assert.ok(!ips(s).includes('10.1.0.8'));
      const t9 = expiresIn(s, '10.1.0.9');
      assert.ok(typeof t9 === 'number' && t9 <= 90 && t9 >= 85, `expiresIn ${t9}`);
    });

    it('a bad address in a batch fails alone, before anything is queued', async () => {
      await fw.init(emptyFirewallState());
      const [good, bad] = await Promise.allSettled([fw.block('192.0.2.50', 60), fw.block('192.0.2.300', 60)]);
      assert.equal(good.status, 'fulfilled');
      assert.equal(bad.status, 'rejected');
      assert.throws(() => {
        throw (bad as PromiseRejectedResult).reason;
      }, rejectsWith('SP_ERR_ADDRESS_INVALID'));
      assert.deepEqual(ips(await fw.snapshot()), ['192.0.2.50']);
    });

    it('PREFIX_BLOCK: a whole network is blocked, its timeout replaced on re-block, lifted by unblock', async () => {
      await fw.init(state({ dynamic: [{ ip: '2001:db8:1:2::/64', expiresIn: 600 }] }));
      assert.deepEqual(ips(await fw.snapshot()), ['2001:db8:1:2::/64'], 'init loads a network');
      await fw.block('198.51.100.0/24', 300);
      await fw.block('198.51.100.7', 300);
      let s = await fw.snapshot();
      assert.deepEqual(ips(s).sort(), ['198.51.100.0/24', '198.51.100.7', '2001:db8:1:2::/64']);
      const first = expiresIn(s, '198.51.100.0/24');
      assert.ok(typeof first === 'number' && first >= 295 && first <= 300, `expiresIn ${first}`);
      await fw.block('198.51.100.0/24', 3000);
      s = await fw.snapshot();
      const longer = expiresIn(s, '198.51.100.0/24');
      assert.ok(typeof longer === 'number' && longer >= 2995 && longer <= 3000, `expiresIn ${longer}`);
      await fw.unblock('198.51.100.0/24');
      await fw.unblock('198.51.100.0/24');
      await fw.unblock('2001:DB8:1:2::/64');
      assert.deepEqual(
        ips(await fw.snapshot()),
        ['198.51.100.7'],
        'the network lifted, its member block stays',
      );
    });

    it('refuses loopback, unspecified, multicast, too wide networks and garbage with SP_ERR_ADDRESS_INVALID', async () => {
      await fw.init(emptyFirewallState());
      for (const bad of [
        '127.0.0.1',
        '::1',
        '0.0.0.0',
        '::',
        '224.0.0.5',
        'ff02::1',
        '0.0.0.0/0',
        '10.0.0.0/7',
        '::/0',
        '2001:db8::/15',
        '10.0.0.5/24',
        '198.51.100.7/32',
        'example.com',
        '1.2.3.300',
        '1.2.3.4; flush ruleset',
        '',
        '010.1.1.1',
        'fe80::1%eth0',
      ]) {
        await assert.rejects(fw.block(bad, 60), rejectsWith('SP_ERR_ADDRESS_INVALID'), bad);
      }
      await assert.rejects(fw.block('192.0.2.1', 0), rejectsWith('SP_ERR_USAGE'));
      await assert.rejects(fw.block('192.0.2.1', Number.NaN), rejectsWith('SP_ERR_USAGE'));
      assert.deepEqual(ips(await fw.snapshot()), []);
    });

    it('setList replaces a list; one bad entry changes nothing', async () => {
      await fw.init(emptyFirewallState());
      await fw.setList('deny', ['192.168.50.0/24', '2001:db8:7::/48']);
      await fw.setList('allow', ['192.168.50.15']);
      let s = await fw.snapshot();
      assert.deepEqual(s.deny, ['192.168.50.0/24', '2001:db8:7::/48']);
      assert.deepEqual(s.allow, ['192.168.50.15']);
      await fw.setList('deny', ['198.51.100.0/24']);
      s = await fw.snapshot();
      assert.deepEqual(s.deny, ['198.51.100.0/24']);
      await assert.rejects(
        fw.setList('deny', ['203.0.113.0/24', '203.0.113.1/24']),
        rejectsWith('SP_ERR_ADDRESS_INVALID'),
      );
      await assert.rejects(fw.setList('allow', ['127.0.0.0/8']), rejectsWith('SP_ERR_ADDRESS_INVALID'));
      await assert.rejects(fw.setList('deny', ['224.0.0.0/4']), rejectsWith('SP_ERR_ADDRESS_INVALID'));
      s = await fw.snapshot();
      assert.deepEqual(s.deny, ['198.51.100.0/24']);
      await fw.setList('deny', []);
      assert.deepEqual((await fw.snapshot()).deny, []);
    });

    it('setCountries replaces the country ranges', async () => {
      await fw.init(emptyFirewallState());
      await fw.setCountries(['203.0.113.0/25', '203.0.113.128/25', '2001:db8:c::/48']);
      assert.deepEqual((await fw.snapshot()).countries, ['203.0.113.0/24', '2001:db8:c::/48']);
      await fw.setCountries([]);
      assert.deepEqual((await fw.snapshot()).countries, []);
    });

    it('feeds: init and setFeeds load networks with their timeouts, apart from the lists; setFeeds replaces', async () => {
      await fw.init(
        state({
          deny: ['198.51.100.0/24'],
          feeds: [
            { network: '203.0.113.0/24', expiresIn: 3600 },
            { network: '203.0.113.7', expiresIn: 600 },
            { network: '2001:DB8:7::/48', expiresIn: 86400 },
            { network: '192.0.2.9', expiresIn: 0 },
          ],
        }),
      );
      let s = await fw.snapshot();
      assert.deepEqual(s.deny, ['198.51.100.0/24']);
      const feeds = (x: FirewallState) => (x.feeds ?? []).map((f) => f.network);
      // A /24 and a host inside it are two entries (two sets): feeds are not merged.
      assert.deepEqual(feeds(s), ['203.0.113.0/24', '203.0.113.7', '2001:db8:7::/48']);
      const left = (x: FirewallState, n: string) => x.feeds?.find((f) => f.network === n)?.expiresIn;
      const t24 = left(s, '203.0.113.0/24');
      assert.ok(typeof t24 === 'number' && t24 <= 3600 && t24 >= 3595, `expiresIn ${t24}`);
      await fw.setFeeds([
        { network: '198.51.100.128/25', expiresIn: 120 },
        { network: '198.51.100.128/25', expiresIn: 7200 },
        { network: '2001:db8:8::1', expiresIn: 60 },
      ]);
      s = await fw.snapshot();
      assert.deepEqual(feeds(s), ['198.51.100.128/25', '2001:db8:8::1']);
      const longest = left(s, '198.51.100.128/25');
      assert.ok(
        typeof longest === 'number' && longest > 7000,
        `a network given twice keeps its longest timeout: ${longest}`,
      );
      assert.deepEqual(s.deny, ['198.51.100.0/24'], 'the lists are untouched');
      await fw.setFeeds([]);
      assert.deepEqual(feeds(await fw.snapshot()), []);
    });

    it('feeds: an entry lapses when its timeout passes; bad entries change nothing', async () => {
      await fw.init(emptyFirewallState());
      await fw.setFeeds([
        { network: '203.0.113.0/25', expiresIn: 1 },
        { network: '203.0.113.128/25', expiresIn: 60 },
      ]);
      await subject.advance(1.6);
      assert.deepEqual(
        ((await fw.snapshot()).feeds ?? []).map((f) => f.network),
        ['203.0.113.128/25'],
      );
      for (const bad of [
        [{ network: '127.0.0.1', expiresIn: 60 }],
        [{ network: '203.0.113.1-203.0.113.3', expiresIn: 60 }],
        [{ network: '203.0.113.9', expiresIn: null as unknown as number }],
      ]) {
        await assert.rejects(fw.setFeeds(bad), (e: unknown) => isSipprotError(e));
      }
      assert.deepEqual(
        ((await fw.snapshot()).feeds ?? []).map((f) => f.network),
        ['203.0.113.128/25'],
      );
    });

    it('setOptions round-trips and refuses impossible values', async () => {
      await fw.init(emptyFirewallState());
      await fw.setOptions(OPTIONS_B);
      assert.deepEqual((await fw.snapshot()).options, OPTIONS_B);
      const custom: FirewallOptions = {
        tftp: { enabled: true, rate: { count: 5, per: 'hour' }, burst: 20 },
        dns: true,
      };
      await fw.setOptions(custom);
      assert.deepEqual((await fw.snapshot()).options, custom);
      await assert.rejects(
        fw.setOptions({ ...custom, tftp: { ...custom.tftp, burst: 0 } }),
        rejectsWith('SP_ERR_CONFIG_INVALID'),
      );
      await assert.rejects(
        fw.setOptions({ ...custom, tftp: { ...custom.tftp, rate: { count: 1, per: 'week' as 'day' } } }),
        rejectsWith('SP_ERR_CONFIG_INVALID'),
      );
      assert.deepEqual((await fw.snapshot()).options, custom);
    });

    it('counters start at zero after init', async () => {
      await fw.init(emptyFirewallState());
      const c = await fw.counters();
      for (const k of ['deny', 'dynamic', 'country', 'tftp', 'dns'] as const) {
        assert.deepEqual(c[k], { packets: 0, bytes: 0 }, k);
      }
    });

    it('init restores 20k blocks and 2k deny networks in one step', async () => {
      const dynamic = Array.from({ length: 20_000 }, (_, i) => ({
        ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        expiresIn: i % 10 === 0 ? null : 600,
      }));
      const deny = Array.from({ length: 2000 }, (_, i) => `172.${16 + (i >> 8)}.${i & 255}.0/25`);
      await fw.init(state({ dynamic, deny }));
      const s = await fw.snapshot();
      assert.equal(s.dynamic.length, 20_000);
      assert.equal(s.deny.length, 2000);
      assert.equal(s.dynamic.filter((d) => d.expiresIn === null).length, 2000);
    });

    it('shutdown removes the table; changes then fail with SP_ERR_FIREWALL until init', async () => {
      await fw.init(state({ deny: ['192.0.2.0/24'] }));
      await fw.shutdown();
      await fw.shutdown();
      await assert.rejects(fw.snapshot(), rejectsWith('SP_ERR_FIREWALL'));
      await assert.rejects(fw.block('192.0.2.1', 60), rejectsWith('SP_ERR_FIREWALL'));
      await fw.init(state({ deny: ['192.0.2.0/24'] }));
      assert.deepEqual((await fw.snapshot()).deny, ['192.0.2.0/24']);
    });
  });
}
