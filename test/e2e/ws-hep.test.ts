/**
 * End to end (root): SIP over WebSocket (RFC 7118), which libpcap cannot read (masked
 * frames on an HTTP port; ciphertext for WSS). Kamailio accepts WebSocket on 8080 and
 * secure WebSocket on 4443 (xhttp + websocket, LAB_WS) in the lab's PBX namespace and
 * mirrors every SIP message it receives and sends to sipprotd's HEP_LISTEN as HEPv3
 * (siptrace, trace_mode 1: the config an admin copies from the README). The WebSocket
 * client is bin/ws-sip.ts (the `ws` package; Debian's sipp has no WebSocket). A brute
 * force over WS must be blocked in the namespace's real nft set under the attacker's
 * address — the one HEP reports, not Kamailio's nor the feed's 127.0.0.1 — after which
 * the attacker cannot even open a WebSocket; one over WSS from IPv6 likewise; phones
 * registering over WS and WSS throughout are never blocked. Namespaces: sp-wshep<pid>-*.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Lab, type LabNamespace, type LabResult, labUnavailable } from '../lab/lab.testkit.js';
import { Guard, SetWatcher, sleep, waitFor } from './guard.testkit.js';
import { registrarFailures } from './traffic.testkit.js';

const HIT_COUNT = 5;
const HEP = '127.0.0.1:9060';
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';
const WS_SIP = join(import.meta.dirname, 'bin', 'ws-sip.ts');
const LOOPS = 6;

/** One JSON line per exchange from ws-sip.ts. */
interface Exchange {
  user: string;
  status: number;
}

function exchanges(r: LabResult): Exchange[] {
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Exchange);
}

describe('live guard: SIP over WebSocket through a HEPv3 mirror (Kamailio siptrace, netns, root)', () => {
  let lab: Lab;
  let guard: Guard;
  let watcher: SetWatcher;
  let phonesWs: Promise<LabResult>;
  let phonesWss: Promise<LabResult>;

  /** ws-sip.ts inside a lab namespace, from `src` (an address of that namespace). */
  function wsSip(ns: LabNamespace, src: string, url: string, args: string[]): Promise<LabResult> {
    return lab.exec(ns, ['node', '--import', 'tsx', WS_SIP, '--url', url, '--src', src, ...args], 120_000);
  }

  const ws4 = () => `ws://${lab.addr.pbx4}:8080`;
  const wss4 = () => `wss://${lab.addr.pbx4}:4443`;
  const wss6 = () => `wss://[${lab.addr.pbx6}]:4443`;

  before(async () => {
    assert.equal(labUnavailable(), null, `cannot run the SIP lab: ${labUnavailable()}`);
    for (const need of ['websocket.so', 'xhttp.so', 'tls.so'])
      assert.ok(existsSync(join(MODULES, need)), `${need} is missing (scripts/setup.sh installs it)`);
    lab = await Lab.up({ id: `wshep${process.pid.toString(36)}`, ws: true, tls: true, hep: HEP });
    guard = await Guard.create(lab, {
      HIT_COUNT,
      MONIT_PERIOD: 60,
      BLOCKTIME: 120,
      HEP_LISTEN: HEP,
      // What the README tells an admin: the WebSocket ports are SIP ports too.
      SIP_PORTS: '5060:5061,8080,4443',
    });
    await guard.start();
    watcher = new SetWatcher(guard);
    watcher.start();
    const register = [
      '--mode',
      'register',
      '--loops',
      String(LOOPS),
      '--interval',
      '2000',
      '--timeout',
      '60',
    ];
    phonesWs = wsSip('phones', lab.addr.phone4, ws4(), [...register, '--users', '100,101,102']);
    phonesWss = wsSip('phones', lab.addr.phone4, wss4(), [...register, '--users', '103,104']);
  });

  after(async () => {
    watcher?.stop();
    await guard?.dispose();
    await lab?.down();
  });

  it('a brute force over WebSocket is blocked under the attacker’s own address', async () => {
    const ip = lab.addr.atk4;
    const r = await wsSip('atk', ip, ws4(), [
      '--mode',
      'guess',
      '--count',
      '15',
      '--rate',
      '5',
      '--timeout',
      '20',
    ]);
    assert.equal(r.code, 0, `ws-sip.ts: ${r.stderr}`);
    const fails = lab.authFailures().filter((f) => f.src === ip);
    assert.ok(fails.length >= HIT_COUNT, `the registrar saw ${fails.length} failures from ${ip}`);
    assert.ok(
      fails.every((f) => f.proto === 'ws'),
      `not all over WS: ${fails.map((f) => f.proto)}`,
    );
    // The guesses after the block get no answer at all (status 0): the connection is dead.
    const answered = exchanges(r).filter((e) => e.status !== 0).length;
    assert.ok(answered < 15, `all ${answered} guesses were answered: no block`);

    await waitFor('the attacker in the kernel set', async () => (await guard.dynSet()).has(ip), 10_000);
    const through = registrarFailures(lab, ip);
    assert.ok(through <= HIT_COUNT + 2, `${through} failures reached the registrar (HIT_COUNT ${HIT_COUNT})`);

    const block = await guard.dynamicOf(ip);
    assert.ok(block, `${ip} is not in sipprot status --dynamic\n${guard.logProblems()}`);
    assert.equal(block.reason, 'auth-failures');
    assert.ok(block.users.includes('100'), `users: ${block.users}`);
    assert.ok(block.attempts >= HIT_COUNT, `attempts ${block.attempts}`);
    assert.equal(block.port, 8080, 'the port HEP reported: the WebSocket port the attacker used');
    // Kamailio writes IP protocol 22 for a request that came over WS, as for TLS and WSS
    // (core/packet/hep.ts): sipprot records it as tls.
    assert.equal(block.transport, 'tls');
    // Only the attacker: never the SIP server that mirrored the messages, nor the feed's source.
    assert.deepEqual(
      (await guard.dynamic()).map((b) => b.ip),
      [ip],
    );
    for (const not of [lab.addr.pbx4, lab.addr.pbx6, '127.0.0.1'])
      assert.equal(watcher.firstSeen.has(not), false, `${not} appeared in the dynamic set`);
  });

  it('once blocked, the attacker cannot open a WebSocket; its guesses never arrive', async () => {
    const ip = lab.addr.atk4;
    const before = registrarFailures(lab, ip);
    const probe = await wsSip('atk', ip, ws4(), ['--mode', 'probe', '--timeout', '5']);
    assert.equal(
      probe.code,
      1,
      `a WebSocket from the blocked address opened: ${probe.stdout} ${probe.stderr}`,
    );
    assert.deepEqual(JSON.parse(probe.stdout), { open: false });
    // The same probe from a free address of the same namespace opens: the block, not the lab.
    const free = await wsSip('atk', lab.extraAttacker4(1), ws4(), ['--mode', 'probe', '--timeout', '5']);
    assert.equal(free.code, 0, `a WebSocket from a free address did not open: ${free.stdout} ${free.stderr}`);
    const r = await wsSip('atk', ip, ws4(), [
      '--mode',
      'guess',
      '--count',
      '3',
      '--rate',
      '5',
      '--timeout',
      '10',
    ]);
    assert.equal(r.code, 0, `ws-sip.ts: ${r.stderr}`);
    assert.ok(
      exchanges(r).every((e) => e.status === 0),
      `answers after the block: ${r.stdout}`,
    );
    await sleep(500);
    assert.equal(registrarFailures(lab, ip), before, 'guesses reached the registrar after the block');
  });

  it('IPv6: a brute force over secure WebSocket is blocked in the IPv6 set', async () => {
    const ip = lab.addr.atk6;
    const r = await wsSip('atk', ip, wss6(), [
      '--mode',
      'guess',
      '--count',
      '15',
      '--rate',
      '5',
      '--timeout',
      '20',
    ]);
    assert.equal(r.code, 0, `ws-sip.ts: ${r.stderr}`);
    await waitFor(
      'the IPv6 attacker in the kernel set',
      async () => (await guard.kernelSet('dyn', 6)).has(ip),
      10_000,
    );
    const through = lab.authFailures().filter((f) => f.src === ip);
    assert.ok(
      through.length >= HIT_COUNT && through.length <= HIT_COUNT + 2,
      `${through.length} failures got through`,
    );
    assert.ok(
      through.every((f) => f.proto === 'wss'),
      `not all over WSS: ${through.map((f) => f.proto)}`,
    );
    const block = await guard.dynamicOf(ip);
    assert.equal(block?.reason, 'auth-failures');
    assert.equal(block?.transport, 'tls');
    assert.equal(block?.port, 4443);
    assert.equal(
      watcher.firstSeen.has(lab.addr.pbx6),
      false,
      'the PBX’s IPv6 address appeared in the dynamic set',
    );
  });

  it('the phones registering over WS and WSS throughout were never blocked', async () => {
    const done = [...exchanges(await phonesWs), ...exchanges(await phonesWss)];
    for (const user of ['100', '101', '102', '103', '104']) {
      const mine = done.filter((e) => e.user === user).map((e) => e.status);
      assert.deepEqual(mine, Array(LOOPS).fill(200), `phone ${user}: answers ${mine}`);
    }
    const regs = lab.registrations().filter((g) => g.src === lab.addr.phone4);
    assert.equal(regs.length, 5 * LOOPS, `registrations from the phones: ${regs.length}`);
    assert.deepEqual(
      regs
        .filter((g) => g.proto === 'wss')
        .map((g) => g.user)
        .sort(),
      [...Array(LOOPS).fill('103'), ...Array(LOOPS).fill('104')],
      'users 103 and 104 registered over WSS, the others over WS',
    );
    assert.equal(
      watcher.firstSeen.has(lab.addr.phone4),
      false,
      'the phones’ address appeared in the dynamic set',
    );
    assert.deepEqual((await guard.dynamic()).map((b) => b.ip).sort(), [lab.addr.atk4, lab.addr.atk6].sort());
    assert.equal(guard.logProblems(), '', 'the daemon logged errors');
  });
});
