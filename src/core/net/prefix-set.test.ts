import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { formatNetwork, type Network, networkContains, parseAddress, parseNetwork } from './ip.js';
import { PrefixSet } from './prefix-set.js';

/** Random networks clustered in a few regions so that many of them nest and overlap. */
function randomNetwork(r: () => number, family: 4 | 6): Network {
  const len = family === 4 ? 4 : 16;
  const bytes = new Uint8Array(len);
  for (let i = 0; i < len; i++) bytes[i] = Math.floor(r() * 256);
  bytes[0] = [10, 192, 198, 203][Math.floor(r() * 4)]!;
  if (r() < 0.7) bytes[1] = Math.floor(r() * 4);
  const max = len * 8;
  const prefix = r() < 0.4 ? max : Math.floor(r() * (max + 1));
  for (let i = 0; i < len; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return parseNetwork(formatNetwork({ bytes, prefix }))!;
}

function randomAddress(r: () => number, family: 4 | 6) {
  const n = randomNetwork(r, family);
  const bytes = n.bytes.slice();
  // Randomise the host part so the address may or may not fall into other entries.
  for (let i = Math.ceil(n.prefix / 8); i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
  return parseAddress(formatNetwork({ bytes, prefix: bytes.length * 8 }))!;
}

function naiveLookup(
  entries: Map<string, { net: Network; value: number }>,
  addr: ReturnType<typeof randomAddress>,
) {
  let best: { net: Network; value: number } | undefined;
  for (const e of entries.values()) {
    if (networkContains(e.net, addr) && (!best || e.net.prefix > best.net.prefix)) best = e;
  }
  return best;
}

describe('PrefixSet', () => {
  it('longest prefix wins, per family', () => {
    const s = new PrefixSet<string>();
    s.add('192.168.0.0/16', 'wide');
    s.add('192.168.50.0/24', 'net');
    s.add('192.168.50.15', 'host');
    s.add('2001:db8::/32', 'v6');
    assert.equal(s.size, 4);
    assert.equal(s.lookup('192.168.50.15')?.value, 'host');
    assert.equal(s.lookup('192.168.50.16')?.value, 'net');
    assert.equal(s.lookup('192.168.1.1')?.value, 'wide');
    assert.equal(s.lookup('192.169.0.1'), undefined);
    assert.equal(s.lookup('::ffff:192.168.50.15')?.value, 'host');
    assert.equal(s.lookup('2001:db8:ffff::1')?.network.text, '2001:db8::/32');
    assert.equal(s.lookup('2001:db9::1'), undefined);
    assert.equal(s.lookup('not an address'), undefined);
    assert.deepEqual(
      s.lookupAll('192.168.50.15').map((m) => m.value),
      ['wide', 'net', 'host'],
    );
  });

  it('get is exact, add replaces, remove splices', () => {
    const s = new PrefixSet<number>();
    s.add('10.0.0.0/8', 1);
    s.add('10.0.0.0/8', 2);
    assert.equal(s.size, 1);
    assert.equal(s.get('10.0.0.0/8'), 2);
    assert.equal(s.get('10.0.0.0/9'), undefined);
    assert.equal(s.get('10.0.0.1'), undefined);
    s.add('10.1.0.0/16', 3);
    s.add('10.2.0.0/16', 4);
    assert.equal(s.remove('10.0.0.0/8'), true);
    assert.equal(s.remove('10.0.0.0/8'), false);
    assert.equal(s.remove('10.3.0.0/16'), false);
    assert.equal(s.remove('garbage'), false);
    assert.equal(s.lookup('10.0.0.1'), undefined);
    assert.equal(s.lookup('10.2.3.4')?.value, 4);
    assert.equal(s.size, 2);
    assert.deepEqual(
      [...s.entries()].map((e) => e.network.text),
      ['10.1.0.0/16', '10.2.0.0/16'],
    );
  });

  it('0.0.0.0/0 and ::/0 match everything of their family', () => {
    const s = new PrefixSet<string>();
    s.add('0.0.0.0/0', 'all4');
    assert.equal(s.lookup('203.0.113.9')?.value, 'all4');
    assert.equal(s.lookup('::1'), undefined);
    s.add('::/0', 'all6');
    assert.equal(s.lookup('::1')?.value, 'all6');
  });

  it('lookupV4 of an address number finds what lookup of its text finds', () => {
    const r = mulberry32(4242);
    const s = new PrefixSet<number>();
    const texts: string[] = ['0.0.0.0', '255.255.255.255', '10.0.0.0', '203.255.255.255'];
    for (let i = 0; i < 3_000; i++) {
      const net = randomNetwork(r, 4);
      s.add(net, i);
      // Each network's first address: the hosts (/32) and the deepest nodes get asked too.
      texts.push(formatNetwork({ bytes: net.bytes, prefix: 32 }));
    }
    for (let i = 0; i < 6_000; i++) {
      // Half inside the clustered regions (many matches, nested), half anywhere (the sign bit too).
      const first = i % 2 === 0 ? [10, 192, 198, 203][(i % 8) >> 1]! : Math.floor(r() * 256);
      texts.push(`${first}.${Math.floor(r() * 4)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`);
    }
    let found = 0;
    for (const text of texts) {
      const b = parseAddress(text)!.bytes;
      const n = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
      // An IPv6 lookup between two leaves the shared scratch words dirty.
      s.lookup('2001:db8::1');
      const want = s.lookup(text);
      assert.equal(s.lookupV4(n), want, text);
      if (want) found++;
    }
    assert.ok(found > 1_000, `only ${found} addresses matched: the test checks too little`);
    s.add('0.0.0.0/0', -1);
    assert.equal(s.lookupV4(0xfffffffe)?.value, s.lookup('255.255.255.254')?.value);
    assert.equal(new PrefixSet<number>().lookupV4(1), undefined);
  });

  it('add rejects an invalid network with the reason', () => {
    const s = new PrefixSet<number>();
    assert.throws(() => s.add('10.1.2.3/8', 1), {
      code: 'SP_ERR_ADDRESS_INVALID',
      message: /10\.0\.0\.0\/8/,
    });
    assert.equal(s.size, 0);
  });

  it('entries come in address order, a network before what it contains', () => {
    const s = new PrefixSet<number>();
    for (const n of ['2001:db8::/32', '10.0.0.5', '10.0.0.0/8', '9.0.0.0/8', '10.0.0.4/30', '::1'])
      s.add(n, 0);
    assert.deepEqual(
      [...s].map((e) => e.network.text),
      ['9.0.0.0/8', '10.0.0.0/8', '10.0.0.4/30', '10.0.0.5', '::1', '2001:db8::/32'],
    );
  });

  for (const family of [4, 6] as const) {
    it(`matches a naive linear scan on 10k random IPv${family} entries, through adds and removes`, () => {
      const r = mulberry32(family * 7919);
      const s = new PrefixSet<number>();
      const naive = new Map<string, { net: Network; value: number }>();
      for (let i = 0; i < 10_000; i++) {
        const net = randomNetwork(r, family);
        s.add(net, i);
        naive.set(net.text, { net, value: i });
      }
      assert.equal(s.size, naive.size);
      const check = (rounds: number) => {
        for (let i = 0; i < rounds; i++) {
          const addr = randomAddress(r, family);
          const got = s.lookup(addr);
          const want = naiveLookup(naive, addr);
          assert.equal(got?.network.text, want?.net.text, addr.text);
          assert.equal(got?.value, want?.value, addr.text);
        }
      };
      check(2_000);
      // Remove half, including networks that others nest in, then check again.
      const keys = [...naive.keys()];
      for (let i = 0; i < keys.length; i += 2) {
        assert.equal(s.remove(keys[i]!), true);
        naive.delete(keys[i]!);
      }
      assert.equal(s.size, naive.size);
      check(2_000);
      for (const [text, e] of naive) assert.equal(s.get(text), e.value);
      const listed = [...s.entries()].map((e) => e.network.text);
      assert.deepEqual([...listed].sort(), [...naive.keys()].sort());
    });
  }
});
