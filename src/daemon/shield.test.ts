/**
 * Issue 10 item 7 in the daemon: the host's resolver, a PROTECTED_PEERS trunk and (through
 * the same lookup) the admin's web peers are never blocked by a forged scanner packet —
 * a 'shielded' alert is logged instead — while a stranger sending the same is blocked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAdmin } from '../admin/http-admin.js';
import { loadConfig } from '../config/load.js';
import { bytes, udpPacket } from '../core/packet/packets.testkit.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { Daemon } from './daemon.js';

const RAW_IP = 101;
const PBX = '10.0.0.1';

function scan(ip: string): Uint8Array {
  const sip = [
    `OPTIONS sip:100@${PBX} SIP/2.0`,
    `Via: SIP/2.0/UDP ${ip}:5070;branch=z9hG4bK-${ip}`,
    `From: <sip:100@${ip}>;tag=1`,
    `To: <sip:100@${PBX}>`,
    `Call-ID: scan-${ip}`,
    'CSeq: 1 OPTIONS',
    'User-Agent: friendly-scanner',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return udpPacket(ip, 5070, PBX, 5060, bytes(sip));
}

describe('daemon: forged scanner packets never block protected peers', () => {
  let dir: string;
  let daemon: Daemon;
  let firewall: FakeFirewall;
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-shield-'));
    const conf = join(dir, 'sipprot.conf');
    writeFileSync(conf, `STATE_DIR=${dir}/state\nWEB_LISTEN=off\nPROTECTED_PEERS=198.51.100.16/29\n`, {
      mode: 0o600,
    });
    const sink = new Writable({
      write(chunk, _e, done) {
        for (const l of String(chunk).split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l));
        done();
      },
    });
    firewall = new FakeFirewall();
    daemon = await Daemon.start(loadConfig({ path: conf }), {
      firewall,
      capture: false,
      logger: pino({ level: 'info' }, sink),
      configPath: conf,
      hostFacts: () => ({
        own: [{ ip: PBX, iface: 'eth0' }],
        resolvers: ['192.0.2.53'],
        gateways: ['192.0.2.1'],
        sshPeers: [],
      }),
    });
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolver, gateway and a PROTECTED_PEERS trunk: alerts, no block; a stranger: blocked', async () => {
    const t = Date.now() / 1000;
    for (const ip of ['192.0.2.53', '192.0.2.1', '198.51.100.20', '203.0.113.77'])
      daemon.packets.onFrame(RAW_IP, t, scan(ip));
    await daemon.settle();
    assert.equal(firewall.wouldDrop('192.0.2.53'), null);
    assert.equal(firewall.wouldDrop('192.0.2.1'), null);
    assert.equal(firewall.wouldDrop('198.51.100.20'), null);
    assert.equal(firewall.wouldDrop('203.0.113.77'), 'dynamic');
    const shielded = lines.filter((l) => l.alert === 'shielded').map((l) => l.ip);
    assert.deepEqual(shielded.sort(), ['192.0.2.1', '192.0.2.53', '198.51.100.20']);
    // The alerts stay on the board (status, banner) until acknowledged; acknowledging is audited.
    const admin = new HttpAdmin(join(dir, 'state', 'sipprotd.sock'));
    const open = await admin.alerts();
    assert.deepEqual(open.map((a) => `${a.kind} ${a.ip}`).sort(), [
      'shielded 192.0.2.1',
      'shielded 192.0.2.53',
      'shielded 198.51.100.20',
    ]);
    const status = await admin.status();
    assert.equal(status.alerts?.length, 3);
    const first = open[0]!;
    assert.deepEqual(await admin.acknowledgeAlerts([first.id]), { acknowledged: [first.id] });
    assert.equal((await admin.alerts()).length, 2);
    const h = await admin.history({ limit: 5, kinds: ['alert-ack'] });
    assert.deepEqual(
      h.events.map((e) => [e.subject, e.actor]),
      [[first.ip, 'cli']],
    );
    assert.deepEqual((await admin.acknowledgeAlerts('all')).acknowledged.length, 2);
    assert.deepEqual(await admin.alerts(), []);
  });
});
