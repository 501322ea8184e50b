import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { FirewallState } from './firewall.js';
import { DEFAULT_FIREWALL_OPTIONS } from './firewall.js';
import {
  nftDuration,
  parseTable,
  renderDynamicBatch,
  renderInit,
  renderListBatch,
  renderOptionsBatch,
  renderRules,
  tftpMeterTimeoutSeconds,
} from './nft-render.js';
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
  ],
  options: DEFAULT_FIREWALL_OPTIONS,
};

describe('renderInit', () => {
  // The golden file was loaded into nft 1.0.6 (kernel 6.18) and listed back as
  // testdata/nft-1.0.6-table.json.
  it('renders the whole table as one transaction (golden)', () => {
    assert.equal(renderInit(prepareState(SMALL)), testdata('init-small.nft'));
  });

  it('leaves out empty element lists, which nft would refuse', () => {
    const text = renderInit(prepareState({ ...SMALL, allow: [], deny: [], countries: [], dynamic: [] }));
    assert.doesNotMatch(text, /add element/);
  });
});

describe('renderRules', () => {
  it('omits the TFTP and DNS guards when they are off', () => {
    const rules = renderRules({
      ...DEFAULT_FIREWALL_OPTIONS,
      tftp: { ...DEFAULT_FIREWALL_OPTIONS.tftp, enabled: false },
      dns: false,
    });
    assert.equal(rules.length, 9);
    assert.ok(rules.every((r) => !/dport 69|sport 53/.test(r)));
    assert.ok(
      rules.every((r) => !/\baccept\b/.test(r)),
      'sipprot never accepts, it only drops or returns',
    );
  });

  it('puts loopback and allow before every drop', () => {
    const rules = renderRules(DEFAULT_FIREWALL_OPTIONS);
    const firstDrop = rules.findIndex((r) => r.endsWith(' drop'));
    assert.deepEqual(
      rules.slice(0, firstDrop).map((r) => r.replace('add rule inet sipprot prerouting ', '')),
      ['iif "lo" return', 'ip saddr @allow4 return', 'ip6 saddr @allow6 return'],
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

describe('renderListBatch / renderOptionsBatch', () => {
  it('flushes and refills both families in one line', () => {
    assert.equal(
      renderListBatch('deny', toRanges(['10.0.0.0/8', '2001:db8::/32'])),
      'flush set inet sipprot deny4; add element inet sipprot deny4 { 10.0.0.0/8 }; ' +
        'flush set inet sipprot deny6; add element inet sipprot deny6 { 2001:db8::/32 }',
    );
    assert.equal(
      renderListBatch('allow', []),
      'flush set inet sipprot allow4; flush set inet sipprot allow6',
    );
  });

  it('replaces the chain and recreates the TFTP meters in one line', () => {
    const line = renderOptionsBatch(DEFAULT_FIREWALL_OPTIONS);
    assert.ok(!line.includes('\n'));
    assert.match(
      line,
      /^flush chain inet sipprot prerouting; delete set inet sipprot tftp4; add set inet sipprot tftp4 /,
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
  it('reads back what renderInit loaded, as nft 1.0.6 lists it', () => {
    const { state, counters } = parseTable(testdata('nft-1.0.6-table.json'), DEFAULT_FIREWALL_OPTIONS);
    assert.deepEqual(state, {
      allow: ['192.0.2.1'],
      deny: ['198.51.100.0/29', '198.51.100.8/31', '2001:db8::/32'],
      countries: ['203.0.113.0/24'],
      dynamic: [
        { ip: '192.0.2.7', expiresIn: 599 },
        { ip: '2001:db8::7', expiresIn: null },
      ],
      options: DEFAULT_FIREWALL_OPTIONS,
    });
    assert.deepEqual(counters.dynamic, { packets: 3, bytes: 180 });
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
