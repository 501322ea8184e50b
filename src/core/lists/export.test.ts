import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BlockSource, exportBlocks, parseInclude } from './export.js';
import { renderExport } from './export-render.js';

const NOW = 1_800_000_000;
const dyn = (network: string, expiresAt: number | null, reason = 'auth-failures'): BlockSource => ({
  network,
  origin: 'dynamic',
  reason,
  expiresAt,
  note: null,
});
const deny = (network: string, note = ''): BlockSource => ({
  network,
  origin: 'deny',
  reason: null,
  expiresAt: null,
  note,
});
const all = { include: ['dynamic', 'deny', 'feeds'] as const, now: NOW };

describe('exportBlocks', () => {
  it('lists each block once, in address order, IPv4 first', () => {
    const x = exportBlocks(
      [dyn('2001:db8::1', NOW + 60), dyn('203.0.113.66', NOW + 540), deny('198.51.100.0/24', 'office')],
      [],
      { ...all, aggregate: false },
    );
    assert.deepEqual(
      x.blocks.map((b) => [b.network, b.origins, b.expiresAt]),
      [
        ['198.51.100.0/24', ['deny'], null],
        ['203.0.113.66', ['dynamic'], NOW + 540],
        ['2001:db8::1', ['dynamic'], NOW + 60],
      ],
    );
    assert.equal(x.cut, 0);
  });

  it('leaves out blocks that already ended and origins not asked for', () => {
    const x = exportBlocks([dyn('192.0.2.1', NOW), dyn('192.0.2.2', NOW + 1), deny('192.0.2.3')], [], {
      include: ['dynamic'],
      aggregate: false,
      now: NOW,
    });
    assert.deepEqual(
      x.blocks.map((b) => b.network),
      ['192.0.2.2'],
    );
    assert.deepEqual(x.include, ['dynamic']);
  });

  it('allow beats everything: an allowed address is never exported, its network is split', () => {
    const x = exportBlocks(
      [deny('192.168.50.0/24'), dyn('192.168.50.15', NOW + 600), dyn('10.0.0.1', NOW + 600)],
      ['192.168.50.15', '10.0.0.0/8'],
      { ...all, aggregate: false },
    );
    const nets = x.blocks.map((b) => b.network);
    assert.ok(!nets.includes('192.168.50.0/24'));
    assert.ok(!nets.includes('192.168.50.15'));
    assert.ok(!nets.includes('10.0.0.1'));
    assert.deepEqual(nets, [
      '192.168.50.0/29',
      '192.168.50.8/30',
      '192.168.50.12/31',
      '192.168.50.14',
      '192.168.50.16/28',
      '192.168.50.32/27',
      '192.168.50.64/26',
      '192.168.50.128/25',
    ]);
    assert.equal(x.cut, 3);
  });

  it('aggregation merges across origins, keeps the latest expiry, and never swallows an allowed address', () => {
    const x = exportBlocks(
      [dyn('10.0.0.0', NOW + 100), dyn('10.0.0.1', NOW + 900), deny('10.0.0.2/31'), dyn('10.0.0.9', NOW + 5)],
      ['10.0.0.8'],
      { ...all, aggregate: true },
    );
    assert.deepEqual(
      x.blocks.map((b) => [b.network, b.origins, b.expiresAt]),
      [
        ['10.0.0.0/30', ['dynamic', 'deny'], null],
        ['10.0.0.9', ['dynamic'], NOW + 5],
      ],
    );
    const y = exportBlocks([dyn('10.0.0.0', NOW + 100), dyn('10.0.0.1', NOW + 900)], [], {
      ...all,
      aggregate: true,
    });
    assert.deepEqual(
      y.blocks.map((b) => [b.network, b.expiresAt, b.reason]),
      [['10.0.0.0/31', NOW + 900, 'auth-failures']],
    );
  });

  it('one network from two sources is one line with both origins', () => {
    const x = exportBlocks(
      [deny('192.0.2.7', 'sipprot: 5 blocks'), dyn('192.0.2.7', null, 'threshold')],
      [],
      {
        ...all,
        aggregate: false,
      },
    );
    assert.deepEqual(x.blocks, [
      {
        network: '192.0.2.7',
        family: 4,
        origins: ['dynamic', 'deny'],
        reason: 'threshold',
        expiresAt: null,
        note: 'sipprot: 5 blocks',
      },
    ]);
  });
});

describe('renderExport', () => {
  const x = exportBlocks(
    [
      dyn('203.0.113.66', NOW + 539.2),
      deny('198.51.100.0/24', '=HYPERLINK("http://evil")'),
      dyn('2001:db8::1', null, 'threshold'),
    ],
    [],
    { ...all, aggregate: false },
  );

  it('text: a header, then one network a line', () => {
    assert.equal(
      renderExport(x, 'text'),
      '# sipprot blocklist: 3 networks (dynamic, deny, feeds), generated 2027-01-15T08:00:00Z\n' +
        '198.51.100.0/24\n203.0.113.66\n2001:db8::1\n',
    );
  });

  it('csv: formula-guarded, ISO expiry, CRLF', () => {
    assert.equal(
      renderExport(x, 'csv'),
      'network,origins,reason,expires_at,note\r\n' +
        `198.51.100.0/24,deny,,,"'=HYPERLINK(""http://evil"")"\r\n` +
        '203.0.113.66,dynamic,auth-failures,2027-01-15T08:08:59Z,\r\n' +
        '2001:db8::1,dynamic,threshold,,\r\n',
    );
  });

  it('json: versioned, parseable, with every fact', () => {
    const doc = JSON.parse(renderExport(x, 'json'));
    assert.equal(doc.version, 1);
    assert.equal(doc.count, 3);
    assert.deepEqual(doc.blocks[1], {
      network: '203.0.113.66',
      origins: ['dynamic'],
      reason: 'auth-failures',
      expiresAt: NOW + 539.2,
      note: null,
    });
  });

  it('nft: sets replaced in one script, timeouts for temporary blocks, nothing but networks', () => {
    const nft = renderExport(x, 'nft', { name: 'sbc' });
    assert.match(nft, /^add table inet sbc$/m);
    assert.match(nft, /^flush set inet sbc blocked4$/m);
    assert.match(
      nft,
      /^add element inet sbc blocked4 \{ 198\.51\.100\.0\/24, 203\.0\.113\.66 timeout 540s \}$/m,
    );
    assert.match(nft, /^add element inet sbc blocked6 \{ 2001:db8::1 \}$/m);
    assert.ok(!nft.includes('HYPERLINK'));
  });

  it('ipset: a fresh set swapped in; the whole space as two halves', () => {
    const ipset = renderExport(x, 'ipset');
    assert.match(ipset, /^create sipprot-blocked4 hash:net family inet timeout 0 maxelem 65536$/m);
    assert.match(ipset, /^add sipprot-blocked4-new 203\.0\.113\.66 timeout 540$/m);
    assert.match(ipset, /^swap sipprot-blocked6-new sipprot-blocked6$/m);
    const whole = exportBlocks([deny('0.0.0.0/0')], [], { ...all, aggregate: true });
    assert.match(
      renderExport(whole, 'ipset'),
      /add sipprot-blocked4-new 0\.0\.0\.0\/1\nadd sipprot-blocked4-new 128\.0\.0\.0\/1\n/,
    );
  });

  it('refuses a name that is not a plain identifier', () => {
    for (const name of ['a b', 'x;flush ruleset', '', 'a'.repeat(19), '1abc']) {
      assert.throws(() => renderExport(x, 'nft', { name }), RangeError, name);
    }
  });
});

describe('parseInclude', () => {
  it('accepts the origins, case and plural forgiven', () => {
    assert.deepEqual(parseInclude('dynamic,deny'), ['dynamic', 'deny']);
    assert.deepEqual(parseInclude(' Feeds , dynamic,dynamic'), ['feeds', 'dynamic']);
    assert.deepEqual(parseInclude('feed'), ['feeds']);
  });
  it('says what is wrong', () => {
    assert.match(
      parseInclude('dynamic,countries') as string,
      /'countries' is not one of dynamic, deny, feeds/,
    );
    assert.match(parseInclude(' , ') as string, /at least one/);
  });
});
