/**
 * Feed entries over time: what a list download, an APIBAN batch, a refusal and a lapse do,
 * with time as an argument. Addresses are ordinary public ones: documentation ranges are
 * special-purpose and a feed refuses them (entries.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAddress, parseNetwork } from '../net/ip.js';
import { APIBAN_MAX_BATCH, apibanUrl, parseApibanAnswer } from './apiban.js';
import { feedEntryRefusal, listRefusal, parseFeedList } from './entries.js';
import {
  addEntries,
  emptyFeed,
  type FeedData,
  feedFromJson,
  feedToJson,
  kernelFeeds,
  liveCount,
  lookupFeeds,
  replaceList,
} from './state.js';

const nets = (...t: string[]) => t.map((x) => parseNetwork(x)!);
const T0 = 1_800_000_000;

describe('feed entries: what may be loaded', () => {
  const refused: Array<[string, RegExp]> = [
    ['0.0.0.0/0', /too large|contains/],
    ['10.1.2.3', /inside 10\.0\.0\.0\/8 \(private use\)/],
    ['10.0.0.0/8', /inside 10\.0\.0\.0\/8/],
    ['100.64.0.0/10', /carrier-grade NAT/],
    ['192.168.0.0/16', /private use/],
    ['127.0.0.1', /loopback/],
    ['224.0.0.0/3', /too large|multicast|contains/],
    ['192.0.0.0/8', /contains 192\.0\.0\.0\/24/],
    ['2.0.0.0/7', /too large/],
    ['fe80::1', /link-local/],
    ['2001:db8::/32', /documentation/],
    ['2000::/3', /too large/],
  ];
  for (const [text, why] of refused) {
    it(`refuses ${text}`, () => assert.match(feedEntryRefusal(parseNetwork(text)!) ?? '', why));
  }
  for (const text of ['45.95.147.10', '185.220.101.0/24', '5.0.0.0/8', '2a0b:4140::/32']) {
    it(`takes ${text}`, () => assert.equal(feedEntryRefusal(parseNetwork(text)!), null));
  }

  it('reads VoIPBL/FireHOL-style lists: comments, CIDRs, ranges, bogons skipped', () => {
    const text = [
      '# FireHOL level1',
      '; Spamhaus style comment',
      '10.0.0.0/8',
      '45.95.147.10',
      '185.220.101.0/24 ; SBL123',
      '45.95.147.10',
      '  194.26.29.0/24   # dup-free',
      '91.240.118.0-91.240.118.9',
      '2a0b:4140:1::/48',
      'not-an-address',
    ].join('\n');
    const p = parseFeedList(text, 100);
    assert.deepEqual(
      p.networks.map((n) => n.text),
      [
        '45.95.147.10',
        '185.220.101.0/24',
        '194.26.29.0/24',
        '91.240.118.0/29',
        '91.240.118.8/31',
        '2a0b:4140:1::/48',
      ],
    );
    assert.equal(p.entryLines, 8);
    assert.deepEqual(p.bad, { count: 1, lines: [10] });
    assert.equal(p.refused.count, 1);
    assert.match(p.refused.reasons[0]!, /10\.0\.0\.0\/8/);
    assert.equal(listRefusal(p, text), null);
  });

  it('stops at max and says so', () => {
    const p = parseFeedList('45.95.147.1\n45.95.147.2\n45.95.147.3\n', 2);
    assert.equal(p.networks.length, 2);
    assert.equal(p.truncated, true);
  });

  it('refuses downloads that are not lists', () => {
    const html = '<!DOCTYPE html><html><body>502 Bad Gateway</body></html>';
    assert.match(listRefusal(parseFeedList(html, 10), html) ?? '', /looks like HTML/);
    assert.match(listRefusal(parseFeedList('', 10), '') ?? '', /no entries/);
    const junk = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n');
    assert.match(listRefusal(parseFeedList(junk, 10), junk) ?? '', /50 of 50 lines are not addresses/);
    const bogons = '10.0.0.0/8\n192.168.0.0/16\n';
    assert.match(listRefusal(parseFeedList(bogons, 10), bogons) ?? '', /no usable entry/);
  });
});

describe('APIBAN answers', () => {
  it('a batch, the end, and each kind of error', () => {
    assert.deepEqual(
      parseApibanAnswer(200, '{"ipaddress":["45.95.147.10","2a0b:4140::1"],"ID":"1700000123"}'),
      {
        kind: 'batch',
        ips: ['45.95.147.10', '2a0b:4140::1'],
        next: '1700000123',
      },
    );
    assert.deepEqual(parseApibanAnswer(400, '{"ipaddress":["no new bans"], "ID":"none"}'), { kind: 'done' });
    const unauthorized = parseApibanAnswer(403, '{"ipaddress":"none", "ID":"unauthorized"}');
    assert.equal(unauthorized.kind === 'error' && unauthorized.retry, false);
    const limited = parseApibanAnswer(429, '{"ipaddress":"rate limit exceeded", "ID":"unauthorized"}');
    assert.ok(limited.kind === 'error' && limited.retry && /rate limit/.test(limited.reason));
    for (const [status, body, why] of [
      [200, 'not json', /not a JSON object/],
      [200, '{"ipaddress":[],"ID":"12; DROP"}', /without a valid ID/],
      [200, '{"ipaddress":"x","ID":"12"}', /not a list/],
      [200, JSON.stringify({ ipaddress: Array(APIBAN_MAX_BATCH + 1).fill('1.2.3.4'), ID: '1' }), /at most/],
      [502, '', /HTTP 502/],
    ] as const) {
      const a = parseApibanAnswer(status, body);
      assert.ok(a.kind === 'error' && a.retry && why.test(a.reason), JSON.stringify(a));
    }
  });

  it('builds the documented URLs, the key escaped', () => {
    assert.equal(apibanUrl('https://apiban.org/api/', 'K3y', null), 'https://apiban.org/api/K3y/banned');
    assert.equal(
      apibanUrl('http://127.0.0.1:9/api', 'a/b', '100'),
      'http://127.0.0.1:9/api/a%2Fb/banned/100',
    );
  });
});

describe('feed state over time', () => {
  const opts = { ttl: 3600, minRatio: 0.5 };

  it('a list download replaces the entries, keeping since for those still listed', () => {
    const first = replaceList(emptyFeed('v'), nets('45.95.147.10', '185.220.101.0/24'), {
      ...opts,
      now: T0,
      digest: 'a',
    });
    assert.ok(first.ok);
    assert.equal(first.added, 2);
    const second = replaceList(first.data, nets('45.95.147.10', '194.26.29.0/24'), {
      ...opts,
      now: T0 + 600,
      digest: 'b',
    });
    assert.ok(second.ok);
    assert.deepEqual([second.added, second.removed], [1, 1]);
    const e = second.data.entries.get('45.95.147.10')!;
    assert.deepEqual([e.since, e.expiresAt], [T0, T0 + 600 + 3600]);
    assert.equal(second.data.lastSuccess, T0 + 600);
  });

  it('a shrink below min_ratio is refused once, and taken when the next download confirms it', () => {
    const many = nets(...Array.from({ length: 10 }, (_, i) => `45.95.147.${i + 1}`));
    const full = replaceList(emptyFeed('v'), many, { ...opts, now: T0, digest: 'full' });
    assert.ok(full.ok);
    const cut = replaceList(full.data, many.slice(0, 3), { ...opts, now: T0 + 60, digest: 'cut' });
    assert.ok(!cut.ok);
    assert.match(cut.reason, /shrink the feed from 10 to 3 entries \(below 50%\)/);
    assert.equal(liveCount(cut.data, T0 + 60), 10, 'the working set is kept');
    // A different short download does not confirm the first one.
    const other = replaceList(cut.data, many.slice(0, 2), { ...opts, now: T0 + 120, digest: 'other' });
    assert.ok(!other.ok);
    const again = replaceList(other.data, many.slice(0, 2), { ...opts, now: T0 + 180, digest: 'other' });
    assert.ok(again.ok);
    assert.equal(liveCount(again.data, T0 + 180), 2);
    assert.equal(again.data.pendingShrink, null);
  });

  it('min_ratio 0 takes any non-empty download', () => {
    const full = replaceList(emptyFeed('v'), nets('45.95.147.1', '45.95.147.2', '45.95.147.3'), {
      ...opts,
      now: T0,
      digest: 'a',
    });
    const cut = replaceList(full.data, nets('45.95.147.1'), {
      ttl: 3600,
      minRatio: 0,
      now: T0 + 1,
      digest: 'b',
    });
    assert.ok(cut.ok);
  });

  it('entries lapse after ttl when no download renews them', () => {
    const d = replaceList(emptyFeed('v'), nets('45.95.147.10'), { ...opts, now: T0, digest: 'a' }).data;
    assert.equal(liveCount(d, T0 + 3599), 1);
    assert.equal(liveCount(d, T0 + 3600), 0);
    assert.deepEqual(kernelFeeds([d], T0 + 3600).entries, []);
  });

  it('APIBAN batches add and renew, move the cursor, and keep max by dropping the oldest', () => {
    let d: FeedData = emptyFeed('apiban');
    ({ data: d } = addEntries(d, nets('45.95.147.1', '45.95.147.2'), {
      now: T0,
      ttl: 600,
      max: 3,
      cursor: '10',
    }));
    ({ data: d } = addEntries(d, nets('45.95.147.3', '45.95.147.1'), {
      now: T0 + 100,
      ttl: 600,
      max: 3,
      cursor: '11',
    }));
    assert.equal(d.cursor, '11');
    assert.deepEqual([...d.entries.keys()], ['45.95.147.2', '45.95.147.3', '45.95.147.1']);
    assert.equal(d.entries.get('45.95.147.1')!.since, T0);
    const r = addEntries(d, nets('45.95.147.4'), { now: T0 + 200, ttl: 600, max: 3, cursor: '12' });
    assert.equal(r.added, 1);
    assert.deepEqual([...r.data.entries.keys()], ['45.95.147.3', '45.95.147.1', '45.95.147.4']);
  });

  it('lookup says which feed holds an address, since when, until when', () => {
    const a = replaceList(emptyFeed('voipbl'), nets('185.220.101.0/24'), {
      ...opts,
      now: T0,
      digest: 'a',
    }).data;
    const b = addEntries(emptyFeed('apiban'), nets('185.220.101.7'), {
      now: T0 + 5,
      ttl: 600,
      max: 10,
      cursor: '1',
    }).data;
    assert.deepEqual(lookupFeeds([a, b], parseAddress('185.220.101.7')!, T0 + 10), [
      { feed: 'voipbl', network: '185.220.101.0/24', since: T0, expiresAt: T0 + 3600 },
      { feed: 'apiban', network: '185.220.101.7', since: T0 + 5, expiresAt: T0 + 605 },
    ]);
    assert.deepEqual(lookupFeeds([a, b], parseAddress('185.220.102.7')!, T0 + 10), []);
  });

  it('the kernel gets each network once, with the latest expiry, and never a protected address', () => {
    const a = replaceList(emptyFeed('a'), nets('185.220.101.0/24', '45.95.147.10'), {
      ...opts,
      now: T0,
      digest: 'a',
    }).data;
    const b = addEntries(emptyFeed('b'), nets('45.95.147.10', '91.240.118.0/24'), {
      now: T0 + 100,
      ttl: 7200,
      max: 10,
      cursor: '1',
    }).data;
    const k = kernelFeeds([a, b], T0 + 100, [{ ip: '91.240.118.5', why: 'you are connected from it' }]);
    assert.deepEqual(k.entries, [
      { network: '185.220.101.0/24', expiresIn: 3500 },
      { network: '45.95.147.10', expiresIn: 7200 },
    ]);
    assert.deepEqual(k.held, [
      { feed: 'b', network: '91.240.118.0/24', ip: '91.240.118.5', why: 'you are connected from it' },
    ]);
  });

  it('stores and reads back; a damaged or foreign file is refused, bad rows dropped', () => {
    const d = addEntries(emptyFeed('apiban'), nets('45.95.147.10', '2a0b:4140::/32'), {
      now: T0,
      ttl: 600,
      max: 10,
      cursor: '77',
    }).data;
    const back = feedFromJson(feedToJson(d), 'apiban');
    assert.equal(back.dropped, 0);
    assert.deepEqual(back.data, d);
    assert.throws(() => feedFromJson(feedToJson(d), 'voipbl'), /not the stored data of feed voipbl/);
    assert.throws(() => feedFromJson('{"v":1', 'apiban'));
    const hand = JSON.stringify({
      v: 1,
      name: 'x',
      entries: [
        ['10.0.0.0/8', 1, 2],
        ['45.95.147.1', 1, 2],
        ['x', 1, 2],
      ],
    });
    const r = feedFromJson(hand, 'x');
    assert.deepEqual([...r.data.entries.keys()], ['45.95.147.1']);
    assert.equal(r.dropped, 2);
  });
});
