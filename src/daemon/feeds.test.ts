/**
 * Shared blocklists in the running daemon (fake firewall, feeds from a local HTTP server on
 * 127.0.0.1): a feed's entries reach the kernel's feed sets, `check` names the feed, allow
 * still wins, the host's own address never gets in, a reload follows the feeds file, and a
 * restart enforces the stored copy before any download.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAdmin } from '../admin/http-admin.js';
import { parseConfig } from '../core/config/parse.js';
import { FeedServer } from '../feeds/feeds.testkit.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import type { FeedStatus } from '../ports/feeds.js';
import { Daemon } from './daemon.js';

const OWN = '91.240.118.1';

describe('daemon: shared blocklists (fake firewall, local feed server)', () => {
  let dir: string;
  let conf: string;
  let server: FeedServer;
  let firewall: FakeFirewall;
  let daemon: Daemon;
  let admin: HttpAdmin;

  const start = async () => {
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    firewall = new FakeFirewall();
    daemon = await Daemon.start(config, {
      firewall,
      capture: false,
      logger: pino({ level: 'silent' }),
      configPath: conf,
      hostFacts: () => ({ own: [{ ip: OWN, iface: 'eth0' }], resolvers: [], gateways: [], sshPeers: [] }),
    });
    admin = new HttpAdmin(runtimePaths(config).socket);
  };
  const update = (name?: string) =>
    admin.call<{ feeds: FeedStatus[] }>('POST', '/api/feeds/update', name ? { name } : {});

  before(async () => {
    server = await new FeedServer().start();
    server.lists.set('/voipbl.txt', {
      body: '45.95.147.10\n185.220.101.0/24\n91.240.118.0/24\n10.0.0.0/8\n',
    });
    server.apiban.banned = ['194.26.29.7', '194.26.29.8'];
    dir = mkdtempSync(join(tmpdir(), 'sipprot-feeds-daemon-'));
    conf = join(dir, 'sipprot.conf');
    writeFileSync(conf, `STATE_DIR=${dir}/state\nWEB_LISTEN=off\n`);
    writeFileSync(join(dir, 'sipprot.allowlist'), '185.220.101.99 a partner\n');
    writeFileSync(
      join(dir, 'sipprot.feeds'),
      `voipbl list ${server.url('/voipbl.txt')} interval=1h ttl=1d\n` +
        `apiban apiban ${server.url('/api')} key=${server.apiban.key} interval=10m ttl=7d\n`,
      { mode: 0o600 },
    );
    await start();
  });
  after(async () => {
    await daemon?.stop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a download fills the feed sets; check names the feed; allow wins; the host itself never gets in', async () => {
    const { feeds } = await update();
    assert.deepEqual(
      feeds.map((f) => [f.name, f.entries, f.lastError, f.held]),
      [
        ['voipbl', 3, null, 1],
        ['apiban', 2, null, 0],
      ],
    );
    assert.equal(firewall.wouldDrop('45.95.147.10'), 'feed');
    assert.equal(firewall.wouldDrop('185.220.101.7'), 'feed');
    assert.equal(firewall.wouldDrop('194.26.29.8'), 'feed');
    assert.equal(firewall.wouldDrop('185.220.101.99'), null, 'the allow list beats feeds');
    assert.equal(firewall.wouldDrop(OWN), null, "a feed never drops the host's own address");
    const c = await admin.check('185.220.101.7');
    assert.equal(c.blocked, true);
    assert.deepEqual(
      c.feeds.map((f) => [f.feed, f.network]),
      [['voipbl', '185.220.101.0/24']],
    );
    assert.match(
      c.explanation.join('\n'),
      /feed voipbl: 185\.220\.101\.0\/24, listed since .*; lapses in 24 h/,
    );
    const allowed = await admin.check('185.220.101.99');
    assert.equal(allowed.blocked, false);
    assert.equal(allowed.feeds.length, 1, 'check still says the feed lists it');
  });

  it('/metrics: entries per feed as blocks of set feed, whether the last run was taken, drops of set feed', async () => {
    const text = await admin.call<string>('GET', '/metrics');
    assert.match(text, /sipprot_blocks_active\{set="feed",origin="voipbl"\} 3\n/);
    assert.match(text, /sipprot_blocks_active\{set="feed",origin="apiban"\} 2\n/);
    assert.match(text, /sipprot_feed_up\{feed="voipbl"\} 1\n/);
    assert.match(text, /sipprot_feed_last_success_timestamp_seconds\{feed="apiban"\} \d+\n/);
    assert.match(text, /sipprot_dropped_packets_total\{set="feed"\} 0\n/);
  });

  it('GET /api/feeds shows the status; an unknown feed is 404', async () => {
    const { feeds } = await admin.call<{ feeds: FeedStatus[] }>('GET', '/api/feeds');
    assert.deepEqual(
      feeds.map((f) => [f.name, f.type, f.enabled]),
      [
        ['voipbl', 'list', true],
        ['apiban', 'apiban', true],
      ],
    );
    assert.doesNotMatch(JSON.stringify(feeds), new RegExp(server.apiban.key));
    await assert.rejects(update('nope'), /no feed named 'nope'/);
  });

  it('a failed download keeps the feed in the kernel', async () => {
    server.lists.set('/voipbl.txt', { status: 502, body: 'Bad gateway' });
    const { feeds } = await update('voipbl');
    assert.match(feeds[0]!.lastError ?? '', /HTTP 502/);
    assert.equal(firewall.wouldDrop('45.95.147.10'), 'feed');
  });

  it('a restart enforces the stored copy at once; a reload without the feed drops it', async () => {
    await daemon.stop();
    server.requests.length = 0;
    await start();
    assert.equal(firewall.wouldDrop('45.95.147.10'), 'feed', 'loaded from STATE_DIR before any download');
    assert.equal(firewall.wouldDrop('194.26.29.7'), 'feed');
    assert.deepEqual(server.requests, []);
    writeFileSync(
      join(dir, 'sipprot.feeds'),
      `apiban apiban ${server.url('/api')} key=${server.apiban.key}\n`,
    );
    await admin.call('POST', '/api/reload');
    assert.equal(firewall.wouldDrop('45.95.147.10'), null, 'voipbl is gone');
    assert.equal(firewall.wouldDrop('194.26.29.7'), 'feed');
    assert.deepEqual((await admin.check('45.95.147.10')).feeds, []);
  });
});
