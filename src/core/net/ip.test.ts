import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainNetwork, formatAddress, networkContains, parseAddress, parseNetwork } from './ip.js';

describe('parseAddress', () => {
  const valid: Array<[string, 4 | 6, string]> = [
    ['192.0.2.1', 4, '192.0.2.1'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    [' 198.51.100.7\t', 4, '198.51.100.7'],
    ['::ffff:192.0.2.1', 4, '192.0.2.1'],
    ['::FFFF:c000:0201', 4, '192.0.2.1'],
    ['2001:DB8::1', 6, '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 6, '2001:db8::1'],
    ['::', 6, '::'],
    ['::1', 6, '::1'],
    ['1::', 6, '1::'],
    ['1:2:3:4:5:6:7::', 6, '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', 6, '0:2:3:4:5:6:7:8'],
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', 6, '2001:0:0:1::1'],
    ['fe80::1:2', 6, 'fe80::1:2'],
    ['64:ff9b::192.0.2.33', 6, '64:ff9b::c000:221'],
    ['2001:db8:1:1:1:1:1:1', 6, '2001:db8:1:1:1:1:1:1'],
  ];
  for (const [text, family, canonical] of valid) {
    it(`accepts '${text}' as IPv${family} ${canonical}`, () => {
      const a = parseAddress(text);
      assert.ok(a);
      assert.equal(a.family, family);
      assert.equal(a.text, canonical);
      assert.equal(a.bytes.length, family === 4 ? 4 : 16);
      assert.equal(formatAddress(a), canonical);
    });
  }

  const invalid = [
    '',
    'localhost',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    '1.2.3.4/32',
    '1..2.3',
    '0x1.2.3.4',
    'fe80::1%eth0',
    '[::1]',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    '12345::',
    'g::1',
    '::1.2.3.4:5',
    '1.2.3.4::',
    ':::',
    '192.0.2.1 x',
  ];
  for (const text of invalid) {
    it(`rejects '${text}'`, () => assert.equal(parseAddress(text), null));
  }
});

describe('parseNetwork', () => {
  const valid: Array<[string, 4 | 6, number, string]> = [
    ['10.0.0.0/8', 4, 8, '10.0.0.0/8'],
    ['192.0.2.1', 4, 32, '192.0.2.1'],
    ['192.0.2.1/32', 4, 32, '192.0.2.1'],
    ['0.0.0.0/0', 4, 0, '0.0.0.0/0'],
    ['198.51.100.128/25', 4, 25, '198.51.100.128/25'],
    ['2001:DB8::/32', 6, 32, '2001:db8::/32'],
    ['2001:db8::1/128', 6, 128, '2001:db8::1'],
    ['::/0', 6, 0, '::/0'],
    ['::ffff:192.0.2.0/120', 4, 24, '192.0.2.0/24'],
    ['::ffff:0:0/96', 4, 0, '0.0.0.0/0'],
    ['::/96', 6, 96, '::/96'],
    ['::ffff:10.0.0.0/104', 4, 8, '10.0.0.0/8'],
  ];
  for (const [text, family, prefix, canonical] of valid) {
    it(`accepts '${text}' as ${canonical}`, () => {
      const n = parseNetwork(text);
      assert.ok(n, explainNetwork(text));
      assert.equal(n.family, family);
      assert.equal(n.prefix, prefix);
      assert.equal(n.text, canonical);
      assert.equal(explainNetwork(text), '');
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ['10.1.2.3/8', /host bits set after \/8: the network is 10\.0\.0\.0\/8/],
    ['2001:db8::1/32', /the network is 2001:db8::\/32/],
    ['10.0.0.0/33', /prefix length must be a number 0-32/],
    ['2001:db8::/129', /0-128/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/8/8', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
    ['/8', /empty address/],
    ['fe80::/10%eth0', /zone ids|prefix length/],
    ['fe80::1%eth0/128', /zone ids/],
    ['example.com', /not an IPv4 or IPv6 address/],
    ['300.1.1.1/8', /'300' is not a number 0-255/],
    ['010.1.1.1', /leading zero/],
    ['::ffff:0:0/95', /host bits set/],
  ];
  for (const [text, reason] of invalid) {
    it(`rejects '${text}' and says why`, () => {
      assert.equal(parseNetwork(text), null);
      assert.match(explainNetwork(text), reason);
      assert.ok(explainNetwork(text).includes(text.trim()), 'the reason names the input');
    });
  }

  it('networkContains respects family and prefix', () => {
    const net = parseNetwork('192.168.50.0/24')!;
    assert.ok(networkContains(net, parseAddress('192.168.50.200')!));
    assert.ok(!networkContains(net, parseAddress('192.168.51.1')!));
    assert.ok(!networkContains(net, parseAddress('::1')!));
    const odd = parseNetwork('198.51.100.128/25')!;
    assert.ok(networkContains(odd, parseAddress('198.51.100.255')!));
    assert.ok(!networkContains(odd, parseAddress('198.51.100.127')!));
    assert.ok(networkContains(parseNetwork('::/0')!, parseAddress('2001:db8::5')!));
  });
});

describe('IPv4 fast path', () => {
  // The rule the careful parser implements: four dot-separated decimal numbers 0-255,
  // no leading zeros. The fast path (fastV4) must agree with it on every string.
  const oracle = (s: string): number[] | null => {
    const parts = s.split('.');
    if (parts.length !== 4) return null;
    const out: number[] = [];
    for (const p of parts) {
      if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
      out.push(Number(p));
    }
    return out;
  };
  it('accepts and refuses exactly what the careful parser does (200k random digit-and-dot strings)', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = '0123456789.....12';
    for (let k = 0; k < 200_000; k++) {
      let s = '';
      const len = 1 + rnd(16);
      for (let i = 0; i < len; i++) s += alphabet[rnd(alphabet.length)];
      const want = oracle(s);
      const got = parseAddress(s);
      assert.deepEqual(got === null ? null : [...got.bytes], want, s);
    }
  });
  it('edge cases', () => {
    for (const [s, ok] of [
      ['0.0.0.0', true],
      ['255.255.255.255', true],
      ['256.1.1.1', false],
      ['1.2.3.04', false],
      ['00.1.2.3', false],
      ['1.2.3.', false],
      ['.1.2.3', false],
      ['1..2.3', false],
      ['1.2.3.4.5', false],
      ['1.2.3.4 ', true],
      ['１.2.3.4', false],
    ] as const) {
      assert.equal(parseAddress(s) !== null, ok, s);
    }
  });
});

describe('IPv6 fast path', () => {
  // The careful way as it was before the one-pass reader (fastV6) and the string-built
  // formatter: split on '::' and ':', a regular expression per group, words joined. Both
  // must give the same bytes, the same canonical text and refuse the same strings.
  const oracleBytes = (s: string): number[] | null => {
    const halves = s.split('::');
    if (halves.length > 2) return null;
    const groups: number[][] = [];
    for (const half of halves) {
      const words: number[] = [];
      if (half !== '') {
        const parts = half.split(':');
        for (let i = 0; i < parts.length; i++) {
          const p = parts[i]!;
          if (p.includes('.')) {
            if (i !== parts.length - 1 || half !== halves[halves.length - 1]) return null;
            const v4 = p.split('.');
            if (v4.length !== 4 || !v4.every((o) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255))
              return null;
            words.push((Number(v4[0]) << 8) | Number(v4[1]), (Number(v4[2]) << 8) | Number(v4[3]));
          } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) words.push(Number.parseInt(p, 16));
          else return null;
        }
      }
      groups.push(words);
    }
    const head = groups[0]!;
    const tail = groups[1] ?? [];
    const count = head.length + tail.length;
    if (halves.length === 1 ? count !== 8 : count > 7) return null;
    const words = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
    return words.flatMap((w) => [w >> 8, w & 0xff]);
  };
  const oracleText = (b: number[]): string => {
    const words: number[] = [];
    for (let i = 0; i < 8; i++) words.push((b[2 * i]! << 8) | b[2 * i + 1]!);
    let bestStart = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (words[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && words[j] === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
    if (bestStart < 0) return hex(words);
    return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
  };
  const mapped = (b: number[]) => b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  const check = (s: string) => {
    const want = oracleBytes(s);
    const got = parseAddress(s);
    if (want === null || mapped(want)) {
      // Mapped addresses are IPv4 (tested above); here only whether both refuse.
      assert.equal(got === null, want === null, s);
      return;
    }
    assert.ok(got, s);
    assert.deepEqual([...got.bytes], want, s);
    assert.equal(got.text, oracleText(want), s);
  };

  it('reads and writes what the careful way does (200k random strings of hex, colons and dots)', () => {
    let seed = 777;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const alphabet = '0000000aF19:::::::.';
    for (let k = 0; k < 200_000; k++) {
      let s = '';
      const len = 1 + rnd(40);
      for (let i = 0; i < len; i++) s += alphabet[rnd(alphabet.length)];
      check(s);
    }
  });

  it('every zero-run shape of a full address, and the edges', () => {
    // 256 patterns of zero and non-zero groups: where '::' goes, ties, runs of one.
    for (let mask = 0; mask < 256; mask++) {
      const words = Array.from({ length: 8 }, (_, i) => ((mask >> i) & 1 ? 0 : 0x1a2 + i));
      const full = words.map((w) => w.toString(16)).join(':');
      check(full);
      check(full.toUpperCase());
      const canonical = parseAddress(full);
      if (canonical && canonical.family === 6) check(canonical.text);
    }
    for (const s of [
      '::',
      '::1',
      '1::',
      ':1::2',
      '1::2:',
      '1:::2',
      '1::2::3',
      '12345::1',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      '1:2:3:4:5:6:7::',
      '::1:2:3:4:5:6:7',
      '0000:0000:0000:0000:0000:0000:0000:0001',
      '2001:db8::192.0.2.1',
      '::192.0.2.1',
      'fe80::1%eth0',
      'g::1',
      ':',
      '',
    ])
      check(s);
  });
});
