/**
 * The daemon wired end to end but without root-only parts: the fake firewall (it passes
 * the same contract as nftables) and frames handed in instead of libpcap. Proves the
 * one decision path: frames → engine → kernel + store + deny list, CLI over the socket.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAdmin } from '../admin/http-admin.js';
import { parseConfig } from '../core/config/parse.js';
import { hep3 } from '../core/packet/packets.testkit.js';
import type { AttackRecord } from '../core/records.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { runtimePaths } from '../platform/runtime-paths.js';
import { Daemon } from './daemon.js';
import { answer, PBX, RAW_IP, register } from './frames.testkit.js';

const HEP_PORT = 20000 + (process.pid % 20000);

describe('daemon (fake firewall, frames handed in)', () => {
  let dir: string;
  let daemon: Daemon;
  let firewall: FakeFirewall;
  let admin: HttpAdmin;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-daemon-'));
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(
      conf,
      `STATE_DIR=${dir}/state\nHIT_COUNT=3\nBLOCKTIME=600\nBLOCK_THRESHOLD=1\nWEB_LISTEN=off\nHEP_LISTEN=127.0.0.1:${HEP_PORT}\nSIP_PORTS=5060:5061\n`,
    );
    writeFileSync(join(dir, 'sipprot.allowlist'), '198.51.100.0/24 office\n');
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

  const bruteForce = (ip: string, n: number) => {
    const t = Date.now() / 1000;
    for (let i = 0; i < n; i++) {
      const id = `c${ip}-${i}-${Math.random()}`;
      daemon.packets.onFrame(RAW_IP, t + i * 0.01, register(ip, 5070, id, 1, true));
      daemon.packets.onFrame(RAW_IP, t + i * 0.01 + 0.001, answer(ip, 5070, id, 1, '401 Unauthorized'));
    }
  };

  it('blocks at the HIT_COUNT-th failure: kernel at once, store and CLI after the commit', async () => {
    bruteForce('203.0.113.5', 2);
    assert.equal(firewall.wouldDrop('203.0.113.5'), null, 'two failures do not block');
    bruteForce('203.0.113.5', 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(firewall.wouldDrop('203.0.113.5'), 'dynamic');
    await daemon.settle();
    const blocks = await admin.dynamicBlocks();
    const b = blocks.find((x) => x.ip === '203.0.113.5');
    assert.ok(b, 'the block is visible over the socket');
    assert.equal(b.reason, 'auth-failures');
    assert.equal(b.userAgent, 'Evil/1.0');
    assert.ok(b.timeLeft !== null && b.timeLeft > 590 && b.timeLeft <= 600);
    const check = await admin.check('203.0.113.5');
    assert.equal(check.blocked, true);
    const attacks = await admin.call<AttackRecord[]>('GET', '/api/attacks?hours=1');
    assert.deepEqual(
      attacks.map((a) => [a.ip, a.rule, a.attempts]),
      [['203.0.113.5', 'auth-failures', 3]],
      'the attack is kept for reports',
    );
  });

  it('the allow list wins: an allowed address is never blocked', async () => {
    bruteForce('198.51.100.20', 10);
    await daemon.settle();
    assert.equal(firewall.wouldDrop('198.51.100.20'), null);
    assert.equal((await admin.check('198.51.100.20')).blocked, false);
  });

  it('allowing a blocked address lifts its block at once', async () => {
    bruteForce('203.0.113.44', 3);
    await daemon.settle();
    assert.equal(firewall.wouldDrop('203.0.113.44'), 'dynamic');
    await admin.addEntries('allow', [{ network: '203.0.113.44', note: 'a customer behind NAT' }]);
    await daemon.settle();
    assert.equal(firewall.wouldDrop('203.0.113.44'), null);
    assert.equal((await admin.check('203.0.113.44')).dynamic, null);
    await admin.removeEntries('allow', ['203.0.113.44']);
  });

  it('unblock over the socket lifts the block in the kernel and the store', async () => {
    const r = await admin.unblock('203.0.113.5');
    assert.equal(r.wasBlocked, true);
    assert.equal(firewall.wouldDrop('203.0.113.5'), null);
    await daemon.settle();
    assert.equal((await admin.check('203.0.113.5')).dynamic, null);
  });

  it('history: the block with the answers the server gave, renewals summed up, the unblock by the CLI', async () => {
    const ip = '203.0.113.88';
    const t = Date.now() / 1000 - 200;
    // Three failures block; the attacker keeps going: a packet within a minute is renewed in
    // the policy only, the ones 61 s and 122 s later are written out (BLOCKTIME 600: at most
    // one written renewal a minute): two renewals.
    for (const [i, at] of [t, t + 0.01, t + 0.02, t + 30, t + 61, t + 122].entries()) {
      const id = `h${i}`;
      daemon.packets.onFrame(RAW_IP, at, register(ip, 5070, id, 1, true));
      daemon.packets.onFrame(
        RAW_IP,
        at + 0.001,
        answer(ip, 5070, id, 1, i === 1 ? '403 Forbidden' : '401 Unauthorized'),
      );
    }
    await daemon.settle();
    await admin.unblock(ip);
    await daemon.settle();
    const { events } = await admin.history({ subject: ip, limit: 10 });
    assert.deepEqual(
      events.map((e) => [e.kind, e.reason, e.actor]),
      [
        ['unblock', 'manual', 'cli'],
        ['block', 'auth-failures', `sipprotd@${hostname()}`],
      ],
    );
    // The answers up to the blocking one: what the address had done when it was blocked.
    assert.deepEqual(events[1]!.samples, [
      'REGISTER 100 → 401 Unauthorized',
      'REGISTER 100 → 403 Forbidden',
      'REGISTER 100 → 401 Unauthorized',
    ]);
    assert.equal(events[1]!.userAgent, 'Evil/1.0');
    assert.equal(events[0]!.renewals, 2);
    assert.ok(events[0]!.lastSeen !== null && events[0]!.lastSeen >= t + 122);
    const check = await admin.check(ip);
    assert.equal(check.recent.length, 2);
  });

  it('BLOCK_THRESHOLD=1: the next block is permanent and lands in the deny list with a note', async () => {
    bruteForce('203.0.113.5', 3);
    await daemon.settle();
    const rec = (await admin.check('203.0.113.5')).dynamic;
    assert.ok(rec);
    assert.equal(rec.expiresAt, null);
    assert.match(
      readFileSync(join(dir, 'sipprot.denylist'), 'utf8'),
      /^203\.0\.113\.5\s+sipprot: permanent after 1 dynamic blocks/m,
    );
    assert.equal((await admin.status()).counts.dynamicPermanent, 1);
  });

  it('removing the address from the deny list forgives the permanent block', async () => {
    await admin.removeEntries('deny', ['203.0.113.5']);
    await daemon.settle();
    assert.equal(firewall.wouldDrop('203.0.113.5'), null);
    assert.equal((await admin.check('203.0.113.5')).dynamic, null);
  });

  it('deny add over the socket reaches the kernel at once; denying loopback is refused', async () => {
    await admin.addEntries('deny', [{ network: '192.0.2.0/24', note: 'test' }]);
    assert.equal(firewall.wouldDrop('192.0.2.77'), 'deny');
    await assert.rejects(admin.addEntries('deny', [{ network: '127.0.0.1', note: '' }]), /loopback/);
    // The host's own network: the one guard refuses it on the socket too, --force goes ahead.
    await assert.rejects(
      admin.addEntries('deny', [{ network: '10.0.0.0/24', note: '' }]),
      /denying 10\.0\.0\.0\/24 would cut off 10\.0\.0\.1 \(this host's address \(eth0\)\)/,
    );
    await admin.addEntries('deny', [{ network: '10.0.0.0/24', note: '' }], { force: true });
    assert.equal(firewall.wouldDrop('10.0.0.9'), 'deny');
    await admin.removeEntries('deny', ['10.0.0.0/24']);
  });

  it('reload keeps running blocks and applies a changed HIT_COUNT', async () => {
    bruteForce('203.0.113.9', 3);
    await daemon.settle();
    assert.equal(firewall.wouldDrop('203.0.113.9'), 'dynamic');
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('HIT_COUNT=3', 'HIT_COUNT=2'));
    const r = await admin.call<{ reloaded: boolean }>('POST', '/api/reload');
    assert.equal(r.reloaded, true);
    assert.equal(daemon.config.hitCount, 2);
    assert.equal(firewall.wouldDrop('203.0.113.9'), 'dynamic', 'blocks survive a reload');
    bruteForce('203.0.113.10', 2);
    await daemon.settle();
    assert.equal(firewall.wouldDrop('203.0.113.10'), 'dynamic');
  });

  it('a reload with an invalid config is refused and changes nothing', async () => {
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8') + 'BLOCK_THRESHOLD=25\n');
    const r = await admin.call<{ reloaded: boolean; message: string }>('POST', '/api/reload');
    assert.equal(r.reloaded, false);
    assert.match(r.message, /BLOCK_THRESHOLD=25: must be an integer 0-20/);
    assert.equal(daemon.config.blockThreshold, 1);
  });

  it('a HEPv3 feed (SIP over TLS as the server saw it) is judged like captured traffic', async () => {
    const sip = register('203.0.113.77', 40000, 'hep-1', 1, false, 'friendly-scanner');
    // The SIP text of the frame built above: skip the IPv4 (20) and UDP (8) headers.
    const payload = sip.subarray(28);
    const packet = hep3({ src: '203.0.113.77', sport: 40000, dst: PBX, dport: 5061, ipProto: 6, payload });
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.send(packet, HEP_PORT, '127.0.0.1', () => r()));
    sock.close();
    for (let i = 0; i < 100 && firewall.wouldDrop('203.0.113.77') === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(firewall.wouldDrop('203.0.113.77'), 'dynamic');
    await daemon.settle();
    const b = (await admin.check('203.0.113.77')).dynamic;
    assert.equal(b?.reason, 'scanner');
    assert.equal(b?.port, 5061);
  });

  it('a deny list held by another process never stalls packets: the kernel follows at once', async () => {
    const deny = join(dir, 'sipprot.denylist');
    bruteForce('203.0.113.120', 3);
    await daemon.settle();
    await admin.unblock('203.0.113.120');
    // Another process (the test's parent: alive, not us) holds the deny list's lock.
    writeFileSync(`${deny}.lock`, String(process.ppid));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      bruteForce('203.0.113.120', 3); // the second block: permanent, appended to the deny list
      bruteForce('203.0.113.121', 3);
      assert.equal(
        firewall.wouldDrop('203.0.113.120'),
        'dynamic',
        'the kernel first, whatever the list does',
      );
      assert.equal(firewall.wouldDrop('203.0.113.121'), 'dynamic');
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(ticks >= 10, `the event loop ran ${ticks} timer ticks in 300 ms: it waited for the lock`);
      assert.doesNotMatch(readFileSync(deny, 'utf8'), /203\.0\.113\.120/, 'not appended while locked');
    } finally {
      clearInterval(timer);
      rmSync(`${deny}.lock`, { force: true });
    }
    await daemon.settle();
    assert.match(readFileSync(deny, 'utf8'), /^203\.0\.113\.120\s+sipprot: permanent/m);
  });

  it('malformed frames never crash the daemon', () => {
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(1 + (i % 200)).map(() => (Math.random() * 256) | 0);
      daemon.packets.onFrame(i % 3 === 0 ? 1 : RAW_IP, Date.now() / 1000, junk);
    }
  });
});
