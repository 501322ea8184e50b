import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ipaddr from 'ipaddr.js';
import { formatBigint } from '../net/ip-range.js';
import { parseV4, parseV6, parseV6Words } from './addr.js';

describe('geo address parsing', () => {
  it('reads dotted IPv4 strictly', () => {
    assert.equal(parseV4('0.0.0.0'), 0);
    assert.equal(parseV4('255.255.255.255'), 0xffffffff);
    assert.equal(parseV4('1.2.3.4'), 0x01020304);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1..2.3',
      '1.2.3.4 ',
      'a.b.c.d',
      '1.2.3.',
      '.1.2.3',
    ]) {
      assert.equal(parseV4(bad), null, bad);
    }
  });

  it('reads IPv6 text in all its forms', () => {
    assert.equal(parseV6('::'), 0n);
    assert.equal(parseV6('::1'), 1n);
    assert.equal(parseV6('1::'), 1n << 112n);
    assert.equal(parseV6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), (1n << 128n) - 1n);
    assert.equal(parseV6('2001:DB8::1'), 0x20010db8000000000000000000000001n);
    assert.equal(parseV6('::ffff:1.2.3.4'), 0xffff01020304n);
    assert.equal(parseV6('1:2:3:4:5:6:7::'), 0x00010002000300040005000600070000n);
    const w = new Uint32Array(4);
    assert.ok(parseV6Words('2001:200::ffff:1', w));
    assert.deepEqual([...w], [0x20010200, 0, 0, 0xffff0001]);
    for (const bad of [
      ':',
      ':::',
      '1:::2',
      '1::2::3',
      ':1::',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      'fe80::1%eth0',
      '::g',
      '1:',
      '::1.2.3',
      '1:2:3:4:5:6:7:1.2.3.4',
      '1.2.3.4',
    ]) {
      assert.equal(parseV6(bad), null, bad);
    }
  });

  it('round-trips through the one formatter, core/net formatBigint (RFC 5952, checked against ipaddr.js)', () => {
    let seed = 7;
    const rand16 = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      // Many zero groups so '::' placement gets exercised.
      return seed % 3 === 0 ? 0 : (seed >>> 8) & 0xffff;
    };
    for (let i = 0; i < 2000; i++) {
      const groups = Array.from({ length: 8 }, rand16);
      const text = groups.map((g) => g.toString(16)).join(':');
      const v = parseV6(text);
      assert.ok(v !== null, text);
      const canon = formatBigint(v, 6);
      assert.equal(canon, ipaddr.IPv6.parse(text).toRFC5952String(), text);
      assert.equal(parseV6(canon), v);
    }
    assert.equal(formatBigint(0x01020304n, 4), '1.2.3.4');
    assert.equal(formatBigint(0xffffffffn, 4), '255.255.255.255');
    assert.equal(formatBigint(0n, 6), '::');
    assert.equal(formatBigint(1n, 6), '::1');
  });

  it('agrees with ipaddr.js on 20000 random strings of address characters', () => {
    let seed = 11;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const alphabet = ['0', '1', 'f', 'a', '2', '5', ':', ':', ':', '.', 'ff'];
    const w = new Uint32Array(4);
    for (let k = 0; k < 20000; k++) {
      const text = Array.from({ length: 2 + rand(22) }, () => alphabet[rand(alphabet.length)]).join('');
      const ours = parseV6(text);
      let theirs: bigint | null = null;
      if (ipaddr.IPv6.isValid(text)) {
        const bytes = ipaddr.IPv6.parse(text).toByteArray();
        theirs = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
      }
      // We may be stricter with dotted tails (leading zeros), never looser.
      if (ours !== null || !text.includes('.')) assert.equal(ours, theirs, text);
      assert.equal(parseV6Words(text, w), ours !== null, text);
    }
  });
});
