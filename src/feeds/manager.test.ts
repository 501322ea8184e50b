/**
 * Feeds against a local HTTP server (feeds.testkit.ts, 127.0.0.1 only): a VoIPBL/FireHOL
 * style list and a fake APIBAN. What is checked is what the kernel would get (kernel()),
 * what `check` would say (lookup), the status the UI shows, and the stored copy a restart
 * loads. Addresses are ordinary public ones (documentation ranges are refused by feeds).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseFeedsFile } from '../core/feeds/spec.js';
import { silentLogger } from '../ports/logger.js';
import { FeedServer } from './feeds.testkit.js';
import { FeedManager } from './manager.js';
import { FeedStore } from './store.js';

const T0 = 1_800_000_000;

describe('FeedManager (local HTTP server)', () => {
  let server: FeedServer;
  let dir: string;
  let clock = T0;
  let changes = 0;
  const managers: FeedManager[] = [];
  // One temp dir per test, removed once every manager has stopped (they write there).
  const dirs: string[] = [];

  const manager = async (feedsFile: string, opts: { batches?: number } = {}) => {
    const { specs, problems } = parseFeedsFile(feedsFile, dir);
    assert.deepEqual(problems, []);
    const m = new FeedManager({
      store: new FeedStore(join(dir, 'state')),
      configDir: dir,
      log: silentLogger,
      now: () => clock,
      onChange: () => changes++,
      update: { apibanPauseMs: 0, apibanBatches: opts.batches ?? 8 },
      startDelay: 3600,
    });
    managers.push(m);
    await m.start(specs);
    return m;
  };
  const list = (path: string) => `voipbl list ${server.url(path)} interval=1h ttl=1d`;
  const feedNets = (m: FeedManager) => m.kernel().map((k) => k.network);

  before(async () => {
    server = await new FeedServer().start();
  });
  after(async () => {
    for (const m of managers) await m.stop();
    await server?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  beforeEach(async () => {
    clock = T0;
    changes = 0;
    dir = await mkdtemp(join(tmpdir(), 'sipprot-feeds-'));
    dirs.push(dir);
    server.lists.clear();
  });

  it('moves its generation when the entries change, not while they stay (the export re-sends on it)', async () => {
    server.lists.set('/g.txt', { body: '45.95.147.10\n' });
    const m = await manager(list('/g.txt'));
    const g0 = m.generation();
    clock += 100;
    assert.equal(m.generation(), g0, 'time alone does not move it');
    await m.update('voipbl');
    const g1 = m.generation();
    assert.notEqual(g1, g0, 'a list taken moves it');
    assert.deepEqual(
      m.entries().map((e) => e.network),
      ['45.95.147.10'],
    );
    assert.equal(m.generation(), g1, 'reading the entries does not');
    await m.reconfigure(parseFeedsFile(`${list('/g.txt')} enabled=no`, dir).specs);
    assert.notEqual(m.generation(), g1, 'disabling the feed moves it');
    assert.deepEqual(m.entries(), []);
  });

  it('loads a list, tells check which feed holds an address and since when, and stores a copy', async () => {
    server.lists.set('/v.txt', {
      body: '# VoIPBL\n45.95.147.10\n185.220.101.0/24 ; tor\n10.0.0.0/8\n2a0b:4140:1::/48\n',
    });
    const m = await manager(list('/v.txt'));
    const [s] = await m.update('voipbl');
    assert.equal(s!.lastError, null);
    assert.equal(s!.entries, 3);
    assert.equal(s!.refused, 1, 'the private 10.0.0.0/8 is refused');
    assert.match(s!.refusedExamples[0]!, /10\.0\.0\.0\/8.*private use/);
    assert.deepEqual(m.kernel(), [
      { network: '45.95.147.10', expiresIn: 86400 },
      { network: '185.220.101.0/24', expiresIn: 86400 },
      { network: '2a0b:4140:1::/48', expiresIn: 86400 },
    ]);
    clock += 100;
    assert.deepEqual(m.lookup('185.220.101.77'), [
      { feed: 'voipbl', network: '185.220.101.0/24', since: T0, expiresAt: T0 + 86400 },
    ]);
    assert.deepEqual(m.lookup('185.220.102.1'), []);
    assert.ok(changes >= 2);
    const stored = JSON.parse(await readFile(join(dir, 'state', 'feeds', 'voipbl.json'), 'utf8'));
    assert.equal(stored.entries.length, 3);
    // A restart enforces the stored copy at once, with the time it has left.
    clock = T0 + 3600;
    const again = await manager(list('/v.txt'));
    assert.deepEqual(again.kernel()[0], { network: '45.95.147.10', expiresIn: 86400 - 3600 });
    assert.equal(again.status()[0]!.lastSuccess, T0);
  });

  it('a bad or empty download never empties a working feed', async () => {
    const body = Array.from({ length: 40 }, (_, i) => `45.95.147.${i + 1}`).join('\n');
    server.lists.set('/v.txt', { body });
    const m = await manager(list('/v.txt'));
    await m.update();
    const bad: Array<[string, Parameters<FeedServer['lists']['set']>[1], RegExp]> = [
      ['HTTP 500', { status: 500, body: 'oops' }, /HTTP 500/],
      ['an HTML error page', { body: '<html><body>Bad gateway</body></html>' }, /looks like HTML/],
      ['an empty file', { body: '' }, /no entries/],
      ['junk', { body: Array.from({ length: 30 }, () => 'not an address').join('\n') }, /not addresses/],
      [
        'a truncated transfer',
        { body: body.slice(0, 50), headers: { 'content-length': String(body.length) } },
        /truncated|broke off|shrink/,
      ],
      [
        'a shrink to a quarter',
        { body: body.split('\n').slice(0, 10).join('\n') },
        /shrink the feed from 40 to 10/,
      ],
    ];
    for (const [what, answer, why] of bad) {
      server.lists.set('/v.txt', answer);
      clock += 60;
      const [s] = await m.update('voipbl');
      assert.match(s!.lastError ?? '', why, what);
      assert.equal(s!.entries, 40, `${what}: the 40 entries stay`);
      assert.equal(feedNets(m).length, 40);
      assert.equal(s!.lastSuccess, T0, `${what}: not a success`);
    }
  });

  it('a shrink confirmed by the next download is taken (a real clean-up upstream)', async () => {
    const all = Array.from({ length: 20 }, (_, i) => `45.95.147.${i + 1}`);
    server.lists.set('/v.txt', { body: all.join('\n') });
    const m = await manager(list('/v.txt'));
    await m.update();
    server.lists.set('/v.txt', { body: all.slice(0, 5).join('\n') });
    assert.match((await m.update())[0]!.lastError ?? '', /shrink/);
    const [s] = await m.update();
    assert.equal(s!.lastError, null);
    assert.equal(s!.entries, 5);
  });

  it('a stalled server times out; oversized and gzip downloads are bounded', async () => {
    server.lists.set('/stall', { body: '45.95.147.1\n', stall: true });
    const { specs } = parseFeedsFile(`s list ${server.url('/stall')}\nbig list ${server.url('/big')}\n`, dir);
    const m = new FeedManager({
      store: new FeedStore(join(dir, 'state')),
      configDir: dir,
      log: silentLogger,
      now: () => clock,
      onChange: () => {},
      startDelay: 3600,
      update: { limits: { list: { timeoutMs: 300, maxBytes: 1000, maxUncompressed: 2000 } } },
    });
    managers.push(m);
    await m.start(specs);
    const t = Date.now();
    assert.match((await m.update('s'))[0]!.lastError ?? '', /no complete answer within 0.3 s/);
    assert.ok(Date.now() - t < 5000);
    server.lists.set('/big', { body: '45.95.147.1\n'.repeat(200) });
    assert.match((await m.update('big'))[1]!.lastError ?? '', /1000-byte limit/);
    server.lists.set('/big', { body: gzipSync('45.95.147.1\n'.repeat(1000)) });
    assert.match(
      (await m.update('big'))[1]!.lastError ?? '',
      /gzip data is damaged or larger than 2000 bytes/,
    );
    server.lists.set('/big', { body: gzipSync('45.95.147.1\n45.95.147.2\n') });
    assert.equal((await m.update('big'))[1]!.entries, 2, 'a gzip list is read');
  });

  it('a local file source must be in the config directory', async () => {
    await writeFile(join(dir, 'mine.txt'), '45.95.147.9\n');
    const m = await manager('mine list mine.txt');
    assert.equal((await m.update('mine'))[0]!.entries, 1);
    await rm(join(dir, 'mine.txt'));
    assert.match((await m.update('mine'))[0]!.lastError ?? '', /cannot read/);
    assert.equal(m.status()[0]!.entries, 1);
  });

  it('APIBAN: batches after the cursor, resumed after a restart, never the key in a status', async () => {
    server.apiban.banned = Array.from({ length: 600 }, (_, i) => `45.95.${146 + (i >> 8)}.${i & 255}`);
    server.apiban.served = 0;
    server.apiban.limit = Number.POSITIVE_INFINITY;
    const feed = `apiban apiban ${server.url('/api')} key=${server.apiban.key} interval=10m ttl=7d`;
    const m = await manager(feed, { batches: 2 });
    server.requests.length = 0;
    let [s] = await m.update('apiban');
    assert.deepEqual(server.requests, [
      `/api/${server.apiban.key}/banned`,
      `/api/${server.apiban.key}/banned/1249`,
    ]);
    assert.equal(s!.entries, 500);
    assert.equal(s!.lastError, null);
    assert.doesNotMatch(JSON.stringify(m.status()), new RegExp(server.apiban.key));
    // A restart resumes after the stored cursor.
    const again = await manager(feed, { batches: 2 });
    server.requests.length = 0;
    [s] = await again.update('apiban');
    assert.deepEqual(server.requests, [
      `/api/${server.apiban.key}/banned/1499`,
      `/api/${server.apiban.key}/banned/1599`,
    ]);
    assert.equal(s!.entries, 600);
    assert.equal(s!.lastError, null, '"no new bans" is the normal end');
    assert.equal(again.kernel()[0]!.expiresIn, 7 * 86400);
  });

  it('APIBAN: a wrong key or the rate limit is a status; what came before stays', async () => {
    server.apiban.banned = ['45.95.147.1', '45.95.147.2', '45.95.147.3'];
    server.apiban.batch = 1;
    server.apiban.served = 0;
    server.apiban.limit = 2;
    try {
      const feed = `apiban apiban ${server.url('/api')} key=${server.apiban.key}`;
      const m = await manager(feed);
      const [s] = await m.update('apiban');
      assert.match(s!.lastError ?? '', /rate limit/);
      assert.equal(s!.entries, 2, 'the two batches before the limit are kept');
      const wrong = await manager(`apiban apiban ${server.url('/api')} key=wrong-key-1`);
      assert.match((await wrong.update('apiban'))[0]!.lastError ?? '', /refused the key/);
    } finally {
      server.apiban.batch = 250;
    }
  });

  it('removing a feed from the file drops its entries and stored copy; disabled feeds load nothing', async () => {
    server.lists.set('/v.txt', { body: '45.95.147.10\n' });
    const m = await manager(list('/v.txt'));
    await m.update();
    assert.equal(feedNets(m).length, 1);
    await m.reconfigure(parseFeedsFile(`${list('/v.txt')} enabled=no`, dir).specs);
    assert.deepEqual(feedNets(m), []);
    assert.deepEqual(m.lookup('45.95.147.10'), []);
    await m.reconfigure([]);
    await assert.rejects(readFile(join(dir, 'state', 'feeds', 'voipbl.json')), /ENOENT/);
    await assert.rejects(m.update('voipbl'), /no feed named 'voipbl'/);
  });

  it('entries lapse after ttl when the source stays away; protected addresses never reach the kernel', async () => {
    server.lists.set('/v.txt', { body: '45.95.147.10\n185.220.101.0/24\n' });
    const m = await manager(list('/v.txt'));
    await m.update();
    assert.deepEqual(
      m.kernel([{ ip: '185.220.101.5', why: 'an SSH session comes from it' }]).map((k) => k.network),
      ['45.95.147.10'],
    );
    assert.equal(m.status()[0]!.held, 1);
    server.lists.set('/v.txt', { status: 503, body: '' });
    clock = T0 + 86400 - 1;
    await m.update();
    assert.equal(m.status()[0]!.entries, 2);
    clock = T0 + 86400;
    assert.equal(m.status()[0]!.entries, 0);
    assert.deepEqual(m.kernel(), []);
  });
});
