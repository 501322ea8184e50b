import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNetwork, parseAddress } from '../net/ip.js';
import { neverSourceRange } from '../net/special.js';
import { mulberry32 } from '../prng.testkit.js';
import { entryRefusal } from './entries.js';
import { hostLine } from './host-line.js';
import { CSV_TEMPLATE, parseCsv, toCsv } from './list-csv.js';
import {
  AccessLists,
  formatListFile,
  formatListLine,
  mergeEntries,
  parseListFile,
  parseListLine,
} from './lists.js';

describe('parseListLine', () => {
  const cases: Array<[string, string | null, string, string]> = [
    // [line, network (null = blank), note, trailing comment]
    ['192.168.1.1', '192.168.1.1', '', ''],
    ['  192.168.1.2  ', '192.168.1.2', '', ''],
    ['192.168.1.0/24 office LAN', '192.168.1.0/24', 'office LAN', ''],
    ['192.168.1.0/24\toffice   LAN # added by bob', '192.168.1.0/24', 'office   LAN', '# added by bob'],
    ['192.168.1.3# no space before hash', null, '', ''],
    ['192.0.2.9 ticket#12 open', '192.0.2.9', 'ticket#12 open', ''],
    ['192.0.2.9 a \\# b', '192.0.2.9', 'a # b', ''],
    ['2001:DB8::/32 v6 range', '2001:db8::/32', 'v6 range', ''],
    ['::ffff:192.0.2.5 mapped', '192.0.2.5', 'mapped', ''],
    ['192.0.2.1/32', '192.0.2.1', '', ''],
    ['192.0.2.1\r', '192.0.2.1', '', ''],
    ['# One IP Address per line', null, '', ''],
    ['   # indented comment', null, '', ''],
    ['', null, '', ''],
    ['\t', null, '', ''],
  ];
  for (const [line, network, note, comment] of cases) {
    it(JSON.stringify(line), () => {
      const r = parseListLine(line);
      if (network === null) {
        assert.notEqual(r.kind, 'entry');
        if (line === '192.168.1.3# no space before hash') assert.equal(r.kind, 'error');
        else assert.equal(r.kind, 'blank');
        return;
      }
      assert.equal(r.kind, 'entry');
      if (r.kind !== 'entry') return;
      assert.deepEqual(r.entry, { network, note });
      assert.equal(r.comment, comment);
    });
  }

  it('reports why a line is invalid', () => {
    const r = parseListLine('10.1.2.3/8 bad');
    assert.equal(r.kind, 'error');
    assert.match(r.kind === 'error' ? r.message : '', /host bits.*10\.0\.0\.0\/8/);
  });
});

describe('the fast path of a canonical dotted quad (issue 13: 100k-line lists at start)', () => {
  it('gives exactly the network checkNetwork gives, or the same refusal, for hosts near every edge', () => {
    const texts = [
      '1.2.3.4',
      '0.0.0.0',
      '255.255.255.255',
      '10.0.0.1',
      '01.2.3.4',
      '1.2.3.04',
      '1.2.3',
      '1.2.3.4.5',
    ];
    texts.push(
      '256.1.1.1',
      '1.2.3.256',
      '1..2.3',
      '.1.2.3',
      '1.2.3.',
      '1.2.3.4/32',
      '1.2.3.0/24',
      '127.0.0.1',
    );
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) texts.push([0, 0, 0, 0].map(() => rnd(i % 3 === 0 ? 300 : 256)).join('.'));
    for (const text of texts) {
      const line = parseListLine(`${text} a note`);
      const want = checkNetwork(text);
      if (!want.ok) {
        assert.deepEqual(line, { kind: 'error', message: want.reason }, text);
        continue;
      }
      assert.equal(line.kind, 'entry', text);
      if (line.kind !== 'entry') continue;
      assert.deepEqual(line.net, want.network, text);
      assert.deepEqual(line.entry, { network: want.network.text, note: 'a note' }, text);
    }
  });

  it('refuses exactly what the special ranges refuse, for a host in every first octet', () => {
    for (let first = 0; first < 256; first++) {
      for (const rest of ['0.0.0', '0.0.1', '255.255.255', '1.2.3']) {
        const r = checkNetwork(`${first}.${rest}`);
        assert.ok(r.ok);
        const slow = neverSourceRange(r.network);
        assert.equal(entryRefusal(r.network) === null, slow === null, `${first}.${rest}`);
      }
    }
  });
});

describe('parseListFile / formatListFile', () => {
  it('parses the manual example', () => {
    const r = parseListFile('# One IP Address per line\n192.168.1.1\n192.168.1.2\n');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.entries.map((e) => e.network),
      ['192.168.1.1', '192.168.1.2'],
    );
  });

  it('reports every bad line with its number and text, and keeps the good ones', () => {
    const text = ['# header', '192.0.2.1 ok', 'banana', '', '10.0.0.1/8', '300.1.1.1', '2001:db8::1 v6'].join(
      '\r\n',
    );
    const r = parseListFile(text);
    assert.deepEqual(
      r.entries.map((e) => e.network),
      ['192.0.2.1', '2001:db8::1'],
    );
    assert.deepEqual(
      r.errors.map((e) => [e.line, e.text]),
      [
        [3, 'banana'],
        [5, '10.0.0.1/8'],
        [6, '300.1.1.1'],
      ],
    );
    for (const e of r.errors) assert.ok(e.message.includes(e.text), e.message);
  });

  it('merges duplicates by canonical network: first position, latest non-empty note', () => {
    const r = parseListFile('192.0.2.1 first\n10.0.0.0/8\n192.0.2.1/32 second\n::ffff:192.0.2.1\n');
    assert.deepEqual(r.entries, [
      { network: '192.0.2.1', note: 'second' },
      { network: '10.0.0.0/8', note: '' },
    ]);
  });

  it('merges a long list with repeats as a merge keyed by the canonical text does', () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const k = (i * 7919) % 600;
      const spelled = [
        `198.51.${k % 3}.${k % 200}`,
        `::ffff:198.51.${k % 3}.${k % 200}`,
        `2001:db8::${k.toString(16)}`,
      ];
      lines.push(`${spelled[i % 3]}${i % 4 === 0 ? ` note ${i}` : ''}`, `10.${k % 5}.0.0/16`);
    }
    const r = parseListFile(`${lines.join('\n')}\n`);
    const byText = new Map<string, string>();
    for (const line of lines) {
      const p = parseListLine(line);
      if (p.kind !== 'entry') continue;
      const had = byText.get(p.entry.network);
      if (had === undefined || p.entry.note)
        byText.set(p.entry.network, had !== undefined && !p.entry.note ? had : p.entry.note);
    }
    assert.deepEqual(
      r.entries,
      [...byText].map(([network, note]) => ({ network, note })),
    );
    assert.deepEqual(
      r.networks?.map((n) => n.text),
      r.entries.map((e) => e.network),
    );
  });

  it("keeps each merged entry's parsed network beside it; lookup sets built from them answer as from the text", () => {
    const text =
      '192.0.2.1 first\n10.0.0.0/8\n192.0.2.1/32 second\n2001:DB8::/32 v6\n0.0.0.0 refused\nnope\n';
    const r = parseListFile(text);
    assert.deepEqual(
      r.entries.map((e) => e.network),
      ['192.0.2.1', '10.0.0.0/8', '2001:db8::/32'],
    );
    assert.deepEqual(
      r.networks?.map((n) => n.text),
      r.entries.map((e) => e.network),
    );
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [5, 6],
    );
    const parsed = AccessLists.parsed(r, { entries: [], networks: [] });
    const fromText = new AccessLists(r.entries, []);
    // The lookup sets wait for the first lookup; sizes and networks are answered before.
    assert.equal(parsed.allowSize, 3);
    assert.deepEqual([...parsed.networks('allow')].map((n) => n.text).sort(), [
      '10.0.0.0/8',
      '192.0.2.1',
      '2001:db8::/32',
    ]);
    for (const ip of ['192.0.2.1', '10.9.9.9', '2001:db8::5', '192.0.2.2']) {
      assert.deepEqual(parsed.check(ip), fromText.check(ip), ip);
    }
    assert.equal(parsed.allowSize, 3);
    assert.deepEqual(parsed.allowEntries(), fromText.allowEntries());
  });

  it('round-trips notes with hashes, tabs and newlines flattened', () => {
    const entries = [
      { network: '192.0.2.1', note: '#1 phone # desk' },
      { network: '2001:db8::/48', note: 'line1\nline2\ttab' },
      { network: '198.51.100.0/24', note: '' },
    ];
    const text = formatListFile(entries, 'sipprot allow list\n\nmanaged by sipprot');
    assert.ok(text.startsWith('# sipprot allow list\n#\n# managed by sipprot\n'));
    const back = parseListFile(text);
    assert.deepEqual(back.errors, []);
    assert.deepEqual(back.entries, [
      { network: '192.0.2.1', note: '#1 phone # desk' },
      { network: '2001:db8::/48', note: 'line1 line2 tab' },
      { network: '198.51.100.0/24', note: '' },
    ]);
    assert.equal(formatListLine({ network: '192.0.2.1', note: 'x' }, '# c'), '192.0.2.1 x # c');
    assert.equal(formatListFile([]), '');
  });
});

describe('CSV', () => {
  it('the template parses to two entries', () => {
    const r = parseCsv(CSV_TEMPLATE);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.entries, [
      { network: '192.0.2.10', note: 'Office phone' },
      { network: '198.51.100.0/24', note: 'Branch office, all phones' },
    ]);
  });

  it('handles quotes, escaped quotes, commas and newlines inside quotes, CRLF, BOM', () => {
    const text =
      '\ufeffnetwork,note\r\n' +
      '192.0.2.1,"He said ""hi"", twice"\r\n' +
      '"2001:db8::/32","multi\r\nline"\r\n' +
      '198.51.100.7,\r\n' +
      '203.0.113.0/24\r\n';
    const r = parseCsv(text);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.entries, [
      { network: '192.0.2.1', note: 'He said "hi", twice' },
      { network: '2001:db8::/32', note: 'multi line' },
      { network: '198.51.100.7', note: '' },
      { network: '203.0.113.0/24', note: '' },
    ]);
  });

  it('works without a header, and finds columns by name when there is one', () => {
    assert.deepEqual(parseCsv('192.0.2.1,a\n192.0.2.2,b').entries, [
      { network: '192.0.2.1', note: 'a' },
      { network: '192.0.2.2', note: 'b' },
    ]);
    assert.deepEqual(parseCsv('Note,Extra,IP\nhello,x,192.0.2.3\n').entries, [
      { network: '192.0.2.3', note: 'hello' },
    ]);
  });

  it('reports each bad record with the line it starts on', () => {
    const text = [
      'network,note', // 1
      '192.0.2.1,ok', // 2
      'nonsense,bad', // 3
      '"192.0.2.2","two', // 4: quoted note spans to line 5
      'lines"', // 5
      '10.1.1.1/8,host bits', // 6
      ',empty network', // 7
      '192.0.2.3,a,b', // 8
      '"192.0.2.4"x,junk after quote', // 9
      '', // 10
      '# a comment row', // 11
      '192.0.2.5,"unterminated', // 12
    ].join('\n');
    const r = parseCsv(text);
    assert.deepEqual(
      r.entries.map((e) => e.network),
      ['192.0.2.1', '192.0.2.2'],
    );
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [3, 6, 7, 8, 9, 12],
    );
    const byLine = new Map(r.errors.map((e) => [e.line, e]));
    assert.match(byLine.get(3)!.message, /nonsense/);
    assert.match(byLine.get(6)!.message, /host bits/);
    assert.match(byLine.get(7)!.message, /empty/);
    assert.match(byLine.get(8)!.message, /expected 2 fields/);
    assert.match(byLine.get(9)!.message, /after a closing quote/);
    assert.match(byLine.get(12)!.message, /not closed/);
    assert.equal(byLine.get(3)!.text, 'nonsense,bad');
  });

  it('toCsv round-trips and defuses spreadsheet formulas', () => {
    const entries = [
      { network: '192.0.2.1', note: 'plain' },
      { network: '192.0.2.2', note: 'comma, "quote"' },
      { network: '2001:db8::1', note: '=HYPERLINK("http://x")' },
      { network: '192.0.2.3', note: '-starts with dash' },
      { network: '192.0.2.4', note: '' },
    ];
    const csv = toCsv(entries);
    assert.ok(csv.startsWith('network,note\r\n'));
    assert.ok(csv.includes(`2001:db8::1,"'=HYPERLINK(""http://x"")"`), csv);
    assert.ok(!/^[^,]*,=/m.test(csv));
    const back = parseCsv(csv);
    assert.deepEqual(back.errors, []);
    assert.deepEqual(back.entries, entries);
  });

  it('never throws on arbitrary input', () => {
    for (const text of ['"', '""', ',', '\n\n\n', '"a""', 'a,"b\n', '\r', '\r\r\n', '\u0000,\u0001']) {
      const r = parseCsv(text);
      assert.ok(Array.isArray(r.entries) && Array.isArray(r.errors));
    }
  });
});

describe('AccessLists', () => {
  it("allow beats deny: the manual's 192.168.50.0/24 example", () => {
    const lists = new AccessLists(
      [{ network: '192.168.50.15', note: 'boss' }],
      [{ network: '192.168.50.0/24', note: 'bad net' }],
    );
    assert.deepEqual(lists.check('192.168.50.15'), {
      status: 'allowed',
      allow: { network: '192.168.50.15', note: 'boss' },
      deny: { network: '192.168.50.0/24', note: 'bad net' },
    });
    assert.deepEqual(lists.check('192.168.50.16'), {
      status: 'denied',
      deny: { network: '192.168.50.0/24', note: 'bad net' },
    });
    assert.deepEqual(lists.check('192.168.51.1'), { status: 'none' });
  });

  it('a dotted quad (looked up by its number) gets what its parsed address gets', () => {
    const r = mulberry32(1313);
    const octet = () => Math.floor(r() * 256);
    const entry = () => {
      const prefix = [8, 16, 20, 24, 28, 32, 32][Math.floor(r() * 7)]!;
      const net = checkNetwork(
        `${[10, 172, 203][Math.floor(r() * 3)]}.${octet() & 3}.${octet()}.${octet()}/${prefix}`,
      );
      return { network: net.ok ? net.network.text : '10.0.0.0/8', note: `n${octet()}` };
    };
    const allow = Array.from({ length: 300 }, entry);
    const deny = Array.from({ length: 600 }, entry);
    const lists = new AccessLists(allow, deny);
    const asked = [...allow, ...deny].map((e) => e.network.split('/')[0]!);
    for (let i = 0; i < 3_000; i++)
      asked.push(`${[10, 172, 203, 1][i & 3]}.${octet() & 3}.${octet()}.${octet()}`);
    const seen = new Set<string>();
    for (const ip of asked) {
      const got = lists.check(ip);
      assert.deepEqual(got, lists.check(parseAddress(ip)!), ip);
      seen.add(got.status);
    }
    assert.deepEqual([...seen].sort(), ['allowed', 'denied', 'none']);
    // Not canonical (a leading zero, a space): the parser's answer, not the number's.
    assert.deepEqual(lists.check(' 10.0.0.1'), lists.check(parseAddress('10.0.0.1')!));
    assert.throws(() => lists.check('10.0.0.01'), { code: 'SP_ERR_ADDRESS_INVALID' });
  });

  it('works for IPv6 and mapped IPv4, and an allowed network beats a denied host', () => {
    const lists = new AccessLists(
      [
        { network: '2001:db8:1::/48', note: 'partner' },
        { network: '203.0.113.0/24', note: '' },
      ],
      [
        { network: '2001:db8::/32', note: '' },
        { network: '2001:db8:1::666', note: 'even this one' },
        { network: '203.0.113.9', note: '' },
      ],
    );
    assert.equal(lists.check('2001:db8:1::5').status, 'allowed');
    assert.equal(lists.check('2001:db8:1::666').status, 'allowed');
    assert.equal(lists.check('2001:db8:1::666').deny?.network, '2001:db8:1::666');
    assert.equal(lists.check('2001:db8:2::5').status, 'denied');
    assert.equal(lists.check('::ffff:203.0.113.9').status, 'allowed');
    assert.equal(lists.check('2001:db9::1').status, 'none');
  });

  it('merges duplicates with the latest note', () => {
    const lists = new AccessLists(
      [],
      [
        { network: '192.0.2.1', note: 'old' },
        { network: '192.0.2.1/32', note: 'new' },
        { network: '192.0.2.1', note: '' },
      ],
    );
    assert.equal(lists.denySize, 1);
    assert.deepEqual(lists.denyEntries(), [{ network: '192.0.2.1', note: 'new' }]);
  });

  it('rejects a non-address with SP_ERR_ADDRESS_INVALID naming it', () => {
    const lists = new AccessLists([], []);
    for (const bad of ['hello', '192.0.2.0/24', '', '1.2.3.256']) {
      assert.throws(
        () => lists.check(bad),
        (e: Error & { code?: string }) => {
          return e.code === 'SP_ERR_ADDRESS_INVALID' && e.message.includes(`'${bad}'`);
        },
      );
    }
    assert.throws(() => new AccessLists([{ network: 'x', note: '' }], []), {
      code: 'SP_ERR_ADDRESS_INVALID',
    });
  });
});

describe('plain IPv4 host lines (hostLine)', () => {
  // Lines the fast reader takes or leaves: every one must come out as parseListLine reads it.
  let seed = 4242;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const addresses = ['192.0.2.1', '10.0.0.1', '1.2.3.4', '223.255.255.255', '126.0.0.1', '128.0.0.1'];
  const odd = [
    '0.1.2.3',
    '127.0.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '01.2.3.4',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
  ];
  const notes = [
    '',
    'bench',
    'a b',
    'x#y',
    'ticket #12',
    'back\\#slash',
    'tab\there',
    'é',
    '\r',
    ' ',
    'x'.repeat(501),
  ];
  const line = (): string => {
    const addr = rnd(4) === 0 ? pick(odd) : pick(addresses);
    const sep = pick([' ', '  ', '\t', '']);
    const note = pick(notes);
    const lead = rnd(8) === 0 ? ' ' : '';
    const end = pick(['', '', ' ', '\r', ' # comment', '/32', '/24']);
    return `${lead}${addr}${note ? sep + note : ''}${end}`;
  };

  it('reads a line as parseListLine does, or leaves it to it (20k random lines)', () => {
    for (let k = 0; k < 20_000; k++) {
      const l = line();
      const fast = hostLine(l, 0, l.length);
      if (!fast) continue;
      const slow = parseListLine(l);
      assert.equal(slow.kind, 'entry', l);
      if (slow.kind !== 'entry') continue;
      assert.equal(slow.comment, '', l);
      assert.equal(entryRefusal(slow.net), null, l);
      assert.deepEqual(fast.entry, slow.entry, l);
      assert.deepEqual(fast.net, slow.net, l);
    }
  });

  it('a file reads as its lines read one by one, merged, errors in place (2k random files)', () => {
    for (let f = 0; f < 2000; f++) {
      const lines = Array.from({ length: 1 + rnd(12) }, line);
      const text = lines.join('\n') + (rnd(2) ? '\n' : '');
      const entries = [];
      const nets = [];
      const errors = [];
      for (let i = 0; i < lines.length; i++) {
        const p = parseListLine(lines[i]!);
        if (p.kind === 'blank') continue;
        const message = p.kind === 'error' ? p.message : entryRefusal(p.net);
        if (message === null && p.kind === 'entry') {
          entries.push(p.entry);
          nets.push(p.net);
        } else if (message !== null)
          errors.push({ line: i + 1, text: lines[i]!.replace(/\r$/, ''), message });
      }
      const want = { ...mergeEntries(entries, nets), errors };
      assert.deepEqual(parseListFile(text), want, text);
    }
  });
});
