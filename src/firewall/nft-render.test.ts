import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { FirewallState } from '../ports/firewall.js';
import { DEFAULT_FIREWALL_OPTIONS } from '../ports/firewall.js';
import { parseTable } from './nft-parse.js';
import {
  emptyLayout,
  layoutOf,
  nftDuration,
  renderDynamicBatch,
  renderFeedReplace,
  renderListReplace,
  renderOptionsReplace,
  renderRules,
  tftpMeterTimeoutSeconds,
} from './nft-render.js';
import { renderInit } from './nft-render-init.js';
import { prepareState } from './state.js';
import { parseHost, toRanges } from './validate.js';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

const SMALL: FirewallState = {
  allow: ['192.0.2.1'],
  deny: ['198.51.100.0-198.51.100.9', '2001:db8::/32'],
  countries: ['203.0.113.0/24'],
  dynamic: [
    { ip: '192.0.2.7', expiresIn: 600 },
    { ip: '2001:db8::7', expiresIn: null },
    { ip: '2001:db8:5:6::/64', expiresIn: 600 },
  ],
  feeds: [
    { network: '203.0.113.64/26', expiresIn: 3600 },
    { network: '198.51.100.200', expiresIn: 600 },
    { network: '2001:db8:9::/48', expiresIn: 86400 },
  ],
  options: DEFAULT_FIREWALL_OPTIONS,
};

describe('renderInit', () => {
  // The golden file was loaded into nft 1.0.6 (kernel 6.18) and listed back as
  // testdata/nft-1.0.6-table.json (`nft -j list table inet sipprot`).
  it('renders the whole table as one transaction (golden)', () => {
    assert.equal(renderInit(prepareState(SMALL)).script, testdata('init-small.nft'));
  });

  it('leaves out empty element lists, which nft would refuse', () => {
    const { script, layout } = renderInit(
      prepareState({ ...SMALL, allow: [], deny: [], countries: [], dynamic: [], feeds: [] }),
    );
    assert.doesNotMatch(script, /add element/);
    assert.deepEqual(layout, emptyLayout());
  });
});

describe('renderRules', () => {
  it('omits the TFTP and DNS guards when they are off', () => {
    const rules = renderRules(emptyLayout(), {
      ...DEFAULT_FIREWALL_OPTIONS,
      tftp: { ...DEFAULT_FIREWALL_OPTIONS.tftp, enabled: false },
      dns: false,
    });
    assert.equal(rules.length, 6);
    assert.ok(rules.every((r) => !/dport 69|sport 53/.test(r)));
    assert.ok(
      rules.every((r) => !/\baccept\b/.test(r)),
      'sipprot never accepts, it only drops or returns',
    );
  });

  it('puts loopback, neighbour discovery and allow before every drop', () => {
    const layout = layoutOf(
      prepareState({ ...SMALL, allow: ['192.0.2.1', '10.0.0.0/8', '2001:db8::/48'] }).lists,
    );
    const rules = renderRules(layout, DEFAULT_FIREWALL_OPTIONS);
    const firstDrop = rules.findIndex((r) => r.endsWith(' drop'));
    assert.deepEqual(
      rules.slice(0, firstDrop).map((r) => r.replace('add rule inet sipprot prerouting ', '')),
      [
        'iif "lo" return',
        'icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } return',
        'ip saddr @allow4_32 return',
        'ip saddr & 255.0.0.0 @allow4_8 return',
        'ip6 saddr & ffff:ffff:ffff:: @allow6_48 return',
      ],
    );
  });
});

describe('renderDynamicBatch', () => {
  const h = parseHost;
  it('adds, deletes and re-adds so that any existing timeout is replaced, per family', () => {
    assert.equal(
      renderDynamicBatch([
        { host: h('192.0.2.1'), timeoutMs: 600_000 },
        { host: h('2001:db8::1'), timeoutMs: null },
      ]),
      'add element inet sipprot dyn4 { 192.0.2.1 }; delete element inet sipprot dyn4 { 192.0.2.1 }; ' +
        'add element inet sipprot dyn4 { 192.0.2.1 timeout 10m }; ' +
        'add element inet sipprot dyn6 { 2001:db8::1 }; delete element inet sipprot dyn6 { 2001:db8::1 }; ' +
        'add element inet sipprot dyn6 { 2001:db8::1 }',
    );
  });

  it('lets the last change per address win; an unblock is add+delete (never fails when absent)', () => {
    assert.equal(
      renderDynamicBatch([
        { host: h('192.0.2.1'), timeoutMs: 1000 },
        { host: h('192.0.2.2'), timeoutMs: 1000 },
        { host: h('192.0.2.1'), unblock: true },
      ]),
      'add element inet sipprot dyn4 { 192.0.2.2, 192.0.2.1 }; delete element inet sipprot dyn4 { 192.0.2.2, 192.0.2.1 }; ' +
        'add element inet sipprot dyn4 { 192.0.2.2 timeout 1s }',
    );
  });
});

describe('renderFeedReplace', () => {
  it('swaps the feed sets with their timeouts, rebuilds the chain, leaves the lists alone', () => {
    const before = prepareState(SMALL);
    const current = layoutOf(before.lists, before.feeds);
    assert.deepEqual(current.feed, { 4: [32, 26], 6: [48] });
    const next = prepareState({
      ...SMALL,
      feeds: [
        { network: '203.0.113.0/24', expiresIn: 7200 },
        { network: '198.51.100.201', expiresIn: 90 },
      ],
    }).feeds;
    const { script, layout } = renderFeedReplace(next, current, DEFAULT_FIREWALL_OPTIONS);
    assert.deepEqual(layout, { ...current, feed: { 4: [32, 24], 6: [] } });
    const lines = script.trim().split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      'flush chain inet sipprot prerouting',
      'delete set inet sipprot feed4_32',
      'delete set inet sipprot feed4_26',
      'delete set inet sipprot feed6_48',
    ]);
    assert.ok(lines.includes('add set inet sipprot feed4_24 { type ipv4_addr; flags timeout; }'));
    assert.ok(lines.includes('add element inet sipprot feed4_24 { 203.0.113.0 timeout 2h }'));
    assert.ok(lines.includes('add element inet sipprot feed4_32 { 198.51.100.201 timeout 1m30s }'));
    const rules = lines.filter((l) => l.startsWith('add rule'));
    const at = (re: RegExp) => rules.findIndex((r) => re.test(r));
    assert.ok(at(/@allow4_32 return/) < at(/@feed4_24/), 'allow returns before any feed drop');
    assert.ok(at(/@dyn6/) < at(/@feed4_32/) && at(/@feed4_24/) < at(/@country4_24/));
    assert.doesNotMatch(script, /delete set inet sipprot (deny|allow|country)/);
  });
});

describe('renderListReplace / renderOptionsReplace', () => {
  it('swaps the list sets and rebuilds the chain in one script', () => {
    const current = layoutOf(prepareState(SMALL).lists);
    const { script, layout } = renderListReplace(
      'deny',
      toRanges(['10.0.0.0/8', '10.1.0.0/16', '2001:db8::/32']),
      current,
      DEFAULT_FIREWALL_OPTIONS,
    );
    assert.deepEqual(layout, { ...current, deny: { 4: [8], 6: [32] } });
    const lines = script.trim().split('\n');
    assert.deepEqual(lines.slice(0, 5), [
      'flush chain inet sipprot prerouting',
      'flush chain inet sipprot output',
      'delete set inet sipprot deny4_31',
      'delete set inet sipprot deny4_29',
      'delete set inet sipprot deny6_32',
    ]);
    assert.ok(lines.includes('add set inet sipprot deny4_8 { type ipv4_addr; }'));
    assert.ok(lines.includes('add element inet sipprot deny4_8 { 10.0.0.0 }'));
    assert.ok(
      lines.includes('add rule inet sipprot prerouting ip saddr @allow4_32 return'),
      'other lists keep their rules',
    );
    assert.ok(
      lines.includes(
        'add rule inet sipprot prerouting ip saddr & 255.255.255.0 @country4_24 counter name drop_country drop',
      ),
    );
  });

  it('an emptied list leaves no sets and no rules', () => {
    const current = layoutOf(prepareState(SMALL).lists);
    const { script, layout } = renderListReplace('deny', [], current, DEFAULT_FIREWALL_OPTIONS);
    assert.deepEqual(layout.deny, { 4: [], 6: [] });
    assert.doesNotMatch(script, /add set inet sipprot deny|@deny/);
  });

  it('new options rebuild the chain and recreate the TFTP meters', () => {
    const script = renderOptionsReplace(DEFAULT_FIREWALL_OPTIONS, emptyLayout());
    assert.match(
      script,
      /^flush chain inet sipprot prerouting\ndelete set inet sipprot tftp4\nadd set inet sipprot tftp4 /,
    );
  });
});

describe('durations', () => {
  it('writes kernel timeouts in units nft accepts', () => {
    assert.equal(nftDuration(600_000), '10m');
    assert.equal(nftDuration(1500), '1s500ms');
    assert.equal(nftDuration(3650 * 86_400_000), '3650d');
    assert.equal(nftDuration(90_061_001), '1d1h1m1s1ms');
    assert.equal(nftDuration(0.2), '1ms');
  });

  it('keeps a TFTP meter entry until its bucket has refilled', () => {
    assert.equal(
      tftpMeterTimeoutSeconds({ enabled: true, rate: { count: 10, per: 'minute' }, burst: 100 }),
      600,
    );
    assert.equal(
      tftpMeterTimeoutSeconds({ enabled: true, rate: { count: 100, per: 'second' }, burst: 5 }),
      60,
    );
    assert.equal(
      tftpMeterTimeoutSeconds({ enabled: true, rate: { count: 1, per: 'day' }, burst: 100 }),
      7 * 86400,
    );
  });
});

describe('parseTable', () => {
  it('reads PREFIX_BLOCK networks of the interval sets as dynamic blocks (nft 1.0.6 listing)', () => {
    const set = (name: string, type: string, elem: unknown[]) => ({
      set: { family: 'inet', name, table: 'sipprot', type, handle: 9, flags: ['interval', 'timeout'], elem },
    });
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6', json_schema_version: 1 } },
        set('pfx6', 'ipv6_addr', [
          { elem: { val: { prefix: { addr: '2001:db8:1:2::', len: 64 } }, timeout: 600, expires: 599 } },
        ]),
        set('pfx4', 'ipv4_addr', [{ prefix: { addr: '10.0.0.0', len: 8 } }]),
      ],
    });
    assert.deepEqual(parseTable(json, DEFAULT_FIREWALL_OPTIONS).state.dynamic, [
      { ip: '10.0.0.0/8', expiresIn: null },
      { ip: '2001:db8:1:2::/64', expiresIn: 599 },
    ]);
  });

  it('reads back what renderInit loaded, as nft 1.0.6 lists it', () => {
    const { state, counters } = parseTable(testdata('nft-1.0.6-table.json'), DEFAULT_FIREWALL_OPTIONS);
    assert.deepEqual(state, {
      allow: ['192.0.2.1'],
      deny: ['198.51.100.0/29', '198.51.100.8/31', '2001:db8::/32'],
      countries: ['203.0.113.0/24'],
      dynamic: [
        { ip: '192.0.2.7', expiresIn: 596 },
        { ip: '2001:db8::7', expiresIn: null },
      ],
      feeds: [
        { network: '198.51.100.200', expiresIn: 596 },
        { network: '203.0.113.64/26', expiresIn: 3596 },
        { network: '2001:db8:9::/48', expiresIn: 86396 },
      ],
      options: DEFAULT_FIREWALL_OPTIONS,
    });
    // Three packets from the blocked 192.0.2.7 and two from the feed's 198.51.100.200, sent
    // from a peer namespace before the listing was taken.
    assert.deepEqual(counters.dynamic, { packets: 3, bytes: 180 });
    assert.deepEqual(counters.feed, { packets: 2, bytes: 120 });
    assert.deepEqual(counters.deny, { packets: 0, bytes: 0 });
  });

  it('reports TFTP off (keeping the last rate) and DNS off when their rules are absent', () => {
    const doc = JSON.parse(testdata('nft-1.0.6-table.json')) as { nftables: Array<Record<string, unknown>> };
    doc.nftables = doc.nftables.filter((x) => !('rule' in x));
    const { state } = parseTable(JSON.stringify(doc), DEFAULT_FIREWALL_OPTIONS);
    assert.deepEqual(state.options, {
      tftp: { ...DEFAULT_FIREWALL_OPTIONS.tftp, enabled: false },
      dns: false,
    });
  });
});
