/**
 * Protection loss is heard (issue 12/15 leftovers): the daemon wired with the fake firewall,
 * a real SMTP peer on loopback. A firewall change the kernel refuses, and whose rebuild
 * fails too, is mailed at once (past the digest throttle), shown in status and /metrics,
 * and its recovery (the daemon's retry 5 s later) is mailed and shown too. The store that
 * refuses the mail queue (a full disk) still gets the mail out, straight through SMTP.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAdmin } from '../admin/http-admin.js';
import { parseConfig } from '../core/config/parse.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { Notifier } from '../notify/notifier.js';
import { notifyConfig } from '../notify/notify.testkit.js';
import { SmtpPeer } from '../notify/smtp-peer.testkit.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import type { StatusReport } from '../ports/admin.js';
import { FakeStore } from '../store/store.fake.js';
import { Daemon } from './daemon.js';
import { answer, PBX, RAW_IP, register } from './frames.testkit.js';
import { MAIL_GAP, ProtectionMonitor } from './protection.js';

const metric = (text: string, name: string): number | null => {
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
};

describe('protection loss: mail, status, /metrics (daemon, fake firewall, real SMTP peer)', () => {
  let dir: string;
  let daemon: Daemon;
  let firewall: FakeFirewall;
  let admin: HttpAdmin;
  let peer: SmtpPeer;

  before(async () => {
    peer = await SmtpPeer.start();
    dir = mkdtempSync(join(tmpdir(), 'sipprot-protection-'));
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(
      conf,
      `STATE_DIR=${dir}/state\nHIT_COUNT=3\nWEB_LISTEN=off\nSMTP_HOST=127.0.0.1\nSMTP_PORT=${peer.port}\n` +
        'SMTP_TLS=none\nSMTP_FROM=sipprot@pbx.example\nNOTIFY_EACH_ATTACK=yes\nNOTIFY_INTERVAL=3600\n',
    );
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    firewall = new FakeFirewall();
    daemon = await Daemon.start(config, {
      firewall,
      capture: false,
      logger: pino({ level: 'silent' }),
      configPath: conf,
      hostFacts: () => ({ own: [{ ip: PBX, iface: 'eth0' }], resolvers: [], gateways: [], sshPeers: [] }),
    });
    admin = new HttpAdmin(runtimePaths(config).socket);
    await admin.call('POST', '/api/recipients', { email: 'admin@pbx.example' });
  });
  after(async () => {
    await daemon?.stop();
    await peer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a firewall out of sync is mailed at once and shown; its recovery too', async () => {
    const before = await admin.call<string>('GET', '/metrics');
    assert.equal(metric(before, 'sipprot_protection_state'), 1);
    assert.equal(metric(before, 'sipprot_protection_up{part="firewall"}'), 1);
    assert.equal(metric(before, 'sipprot_firewall_sync_failures_total{stage="reconcile"}'), 0);
    assert.equal(metric(before, 'sipprot_store_write_failures_total'), 0);
    // The block's change fails, and so does the rebuild that answers it.
    firewall.failNext('nft: Could not process rule: No such file or directory');
    firewall.failNext('nft: Could not process rule: No such file or directory');
    const t = Date.now() / 1000;
    for (let i = 0; i < 3; i++) {
      daemon.packets.onFrame(RAW_IP, t + i * 0.01, register('203.0.113.77', 5070, `p${i}`, 1, true));
      daemon.packets.onFrame(
        RAW_IP,
        t + i * 0.01 + 0.001,
        answer('203.0.113.77', 5070, `p${i}`, 1, '401 Unauthorized'),
      );
    }
    const [lost] = await peer.waitForMails(1, 5000);
    assert.match(lost!.subject, /PROTECTION LOST: the kernel firewall is not in sync/);
    assert.match(lost!.text ?? '', /Part: +firewall/);
    assert.match(lost!.text ?? '', /Could not process rule/);
    assert.equal(lost!.headers.get('x-sipprot-kind'), 'protection');
    const down = await admin.call<string>('GET', '/metrics');
    assert.equal(metric(down, 'sipprot_protection_state'), 0);
    assert.equal(metric(down, 'sipprot_protection_up{part="firewall"}'), 0);
    assert.ok((metric(down, 'sipprot_firewall_sync_failures_total{stage="reconcile"}') ?? 0) >= 1);
    assert.ok((metric(down, 'sipprot_firewall_sync_failures_total{stage="change"}') ?? 0) >= 1);
    const s = await admin.call<StatusReport>('GET', '/api/status');
    assert.equal(s.live?.protection?.firewall?.inSync, false);
    // The daemon rebuilds 5 s later: in sync again, said by mail, gauges back to 1.
    const [, restored] = await peer.waitForMails(2, 9000);
    assert.match(restored!.subject, /protection restored: firewall works again after \d+ s/);
    assert.equal(firewall.wouldDrop('203.0.113.77'), 'dynamic', 'the rebuild put the block in force');
    const up = await admin.call<string>('GET', '/metrics');
    assert.equal(metric(up, 'sipprot_protection_state'), 1);
    assert.equal(
      (await admin.call<StatusReport>('GET', '/api/status')).live?.protection?.firewall?.inSync,
      true,
    );
  });
});

describe('PREFIX_BLOCK through the daemon (fake firewall): the network blocked whole, unblocked over the socket', () => {
  let dir: string;
  let daemon: Daemon;
  let firewall: FakeFirewall;
  let admin: HttpAdmin;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-prefix-'));
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(
      conf,
      `STATE_DIR=${dir}/state\nHIT_COUNT=3\nWEB_LISTEN=off\nPREFIX_V4=24\nPREFIX_BLOCK=2\n`,
    );
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    firewall = new FakeFirewall();
    daemon = await Daemon.start(config, {
      firewall,
      capture: false,
      logger: pino({ level: 'silent' }),
      configPath: conf,
      hostFacts: () => ({ own: [{ ip: PBX, iface: 'eth0' }], resolvers: [], gateways: [], sshPeers: [] }),
    });
    admin = new HttpAdmin(runtimePaths(config).socket);
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two attackers of 203.0.113.0/24: the /24 is dropped whole; unblocking it lifts it', async () => {
    const t = Date.now() / 1000;
    for (const ip of ['203.0.113.10', '203.0.113.11']) {
      for (let i = 0; i < 3; i++) {
        daemon.packets.onFrame(RAW_IP, t + i * 0.01, register(ip, 5070, `${ip}-${i}`, 1, true));
        daemon.packets.onFrame(
          RAW_IP,
          t + i * 0.01 + 0.001,
          answer(ip, 5070, `${ip}-${i}`, 1, '401 Unauthorized'),
        );
      }
    }
    await daemon.settle();
    assert.equal(
      firewall.wouldDrop('203.0.113.99'),
      'dynamic',
      'an address of the prefix that never sent anything',
    );
    assert.equal(firewall.wouldDrop('203.0.114.99'), null);
    const rows = await admin.dynamicBlocks();
    const net = rows.find((r) => r.ip === '203.0.113.0/24');
    assert.equal(net?.reason, 'prefix');
    assert.match(net?.note ?? '', /blocked whole: 2 of its addresses/);
    // check: an address of the network that never sent anything is blocked, by the network.
    const c = await admin.check('203.0.113.99');
    assert.equal(c.blocked, true);
    assert.equal(c.dynamic?.ip, '203.0.113.0/24');
    // The dynamic list's row of the network opens its details: check answers for the network.
    const n = await admin.check('203.0.113.0/24');
    assert.equal(n.blocked, true);
    assert.match(
      n.explanation[0] ?? '',
      /^network blocked whole \(PREFIX_BLOCK\): network 203\.0\.113\.0\/24 blocked whole/,
    );
    assert.deepEqual(await admin.unblock('203.0.113.0/24'), { ip: '203.0.113.0/24', wasBlocked: true });
    assert.equal(firewall.wouldDrop('203.0.113.99'), null, 'unblocking the network lifts it in the kernel');
    assert.equal(firewall.wouldDrop('203.0.113.10'), 'dynamic', "the attackers' own blocks stay");
  });
});

describe('ProtectionMonitor with the Notifier (real SMTP peer)', () => {
  let peer: SmtpPeer;
  before(async () => {
    peer = await SmtpPeer.start();
  });
  after(() => peer.close());

  it('a store that refuses the queue still gets the loss mail out; losses within MAIL_GAP are not re-mailed', async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example');
    store.enqueueMail = async () => {
      throw new Error('SQLITE_FULL: database or disk is full');
    };
    let now = 1_714_550_400;
    const notifier = new Notifier({
      config: notifyConfig(peer.port),
      store,
      clock: () => now,
      hostname: 'pbx1',
    });
    const events: string[] = [];
    const mailed: Promise<void>[] = [];
    const mon = new ProtectionMonitor({
      log: pino({ level: 'silent' }),
      emit: (e) => events.push(e.type === 'protection' ? `${e.part} ${e.state}` : e.type),
      mail: (n) => {
        const p = notifier.protection(n);
        mailed.push(p);
        return p;
      },
      clock: () => now,
    });
    mon.lost('store', 'SQLITE_FULL: database or disk is full');
    mon.lost('store', 'still full');
    await Promise.all(mailed);
    const [m] = await peer.waitForMails(1);
    assert.match(m!.subject, /^sipprot on pbx1: PROTECTION LOST: the store refuses writes/);
    assert.equal(mon.ok, false);
    now += 30;
    mon.restored('store', 'every waiting decision saved');
    await Promise.all(mailed);
    const [, r] = await peer.waitForMails(2);
    assert.match(r!.subject, /protection restored: store works again after 30 s/);
    // Flapping: the next loss within MAIL_GAP of the last mail is shown but not mailed.
    now += 10;
    mon.lost('store', 'full again');
    await Promise.all(mailed);
    now += MAIL_GAP;
    mon.restored('store', 'saved');
    await Promise.all(mailed);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(peer.mails.length, 2, 'a loss within MAIL_GAP of the last mail is not mailed');
    assert.deepEqual(events, ['store lost', 'store restored', 'store lost', 'store restored']);
    await notifier.stop();
  });
});
