/**
 * End to end (root), issue 12 item 9: SIP over TLS, which no capture can read. Kamailio
 * terminates TLS on 5061 in the lab's PBX namespace and mirrors every SIP message it
 * receives and sends, decrypted, to sipprotd's HEP_LISTEN as HEPv3 (siptrace,
 * trace_mode 1: the config an admin copies from the README). A brute force over TLS
 * (sipp; Debian's sipp has no TLS, so socat's OpenSSL carries its TCP to port 5061 from
 * the attacker's own address) must be blocked in the namespace's real nft set under the
 * attacker's address — the one HEP reports, not Kamailio's nor the feed's 127.0.0.1 —
 * after which the attacker cannot even open a TLS connection; phones registering over
 * TLS throughout are never blocked. Namespaces: sp-tlsfuzz<pid>-*.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Lab, labUnavailable } from '../lab/lab.testkit.js';
import { Guard, SetWatcher, sleep, waitFor } from './guard.testkit.js';
import { type PhonesRun, phonesDone, registrarFailures, startPhones } from './traffic.testkit.js';

const HIT_COUNT = 5;
const HEP = '127.0.0.1:9060';
const TLS_MODULE = '/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so';

describe('live guard: SIP over TLS through a HEPv3 mirror (Kamailio siptrace, netns, root)', () => {
  let lab: Lab;
  let guard: Guard;
  let watcher: SetWatcher;
  let phones: PhonesRun;

  before(async () => {
    assert.equal(labUnavailable(), null, `cannot run the SIP lab: ${labUnavailable()}`);
    for (const need of ['/usr/bin/socat', TLS_MODULE])
      assert.ok(existsSync(need), `${need} is missing (scripts/setup.sh installs it)`);
    lab = await Lab.up({ id: `tlsfuzz${process.pid.toString(36)}`, tls: true, hep: HEP });
    guard = await Guard.create(lab, {
      HIT_COUNT,
      MONIT_PERIOD: 60,
      BLOCKTIME: 120,
      HEP_LISTEN: HEP,
      // What the README tells an admin: the TLS port is a SIP port too.
      SIP_PORTS: '5060:5061',
    });
    await guard.start();
    watcher = new SetWatcher(guard);
    watcher.start();
    phones = await startPhones(lab, { loops: 6, intervalMs: 2000, transport: 'tls' });
  });

  after(async () => {
    watcher?.stop();
    await guard?.dispose();
    await lab?.down();
  });

  async function hepReceived(): Promise<number> {
    const r = await guard.cli('status', '--json');
    assert.equal(r.code, 0, r.stderr);
    const n = (JSON.parse(r.stdout) as { live?: { hepReceived: number | null } }).live?.hepReceived;
    assert.equal(typeof n, 'number', `status: ${r.stdout.slice(0, 400)}`);
    return n as number;
  }

  it('a brute force over TLS is blocked under the attacker’s own address', async () => {
    const ip = lab.addr.atk4;
    const r = await lab.script('bruteforce', [
      '--transport',
      'tls',
      '--count',
      '15',
      '--rate',
      '5',
      '--timeout',
      '20',
    ]);
    assert.equal(r.code, 0, `bruteforce.sh: ${r.stderr}`);
    const tls = lab.authFailures().filter((f) => f.src === ip);
    assert.ok(tls.length >= HIT_COUNT, `the registrar saw ${tls.length} failures from ${ip}`);
    assert.ok(
      tls.every((f) => f.proto === 'tls'),
      `not all over TLS: ${tls.map((f) => f.proto)}`,
    );

    await waitFor('the attacker in the kernel set', async () => (await guard.dynSet()).has(ip), 10_000);
    // The guesses that got through: the block lands within a guess or two of HIT_COUNT
    // (the mirror adds a hop), and nothing after it reaches the registrar.
    const through = registrarFailures(lab, ip);
    assert.ok(through <= HIT_COUNT + 2, `${through} failures reached the registrar (HIT_COUNT ${HIT_COUNT})`);

    const block = await guard.dynamicOf(ip);
    assert.ok(block, `${ip} is not in sipprot status --dynamic\n${guard.logProblems()}`);
    assert.equal(block.reason, 'auth-failures');
    assert.ok(block.users.includes('100'), `users: ${block.users}`);
    assert.ok(block.attempts >= HIT_COUNT, `attempts ${block.attempts}`);
    assert.equal(block.port, 5061, 'the port HEP reported: the TLS port the attacker used');
    // Kamailio marks TLS in HEP with IP protocol 22 (core/packet/hep.ts): once read as udp.
    assert.equal(block.transport, 'tls');
    // Only the attacker: never the SIP server that mirrored the messages, nor the feed's source.
    const blocked = (await guard.dynamic()).map((b) => b.ip);
    assert.deepEqual(blocked, [ip]);
    for (const not of [lab.addr.pbx4, lab.addr.pbx6, '127.0.0.1'])
      assert.equal(watcher.firstSeen.has(not), false, `${not} appeared in the dynamic set`);
  });

  it('once blocked, the attacker cannot open a TLS connection; its guesses never arrive', async () => {
    const ip = lab.addr.atk4;
    const before = registrarFailures(lab, ip);
    const hello = await lab.exec(
      'atk',
      ['timeout', '5', 'openssl', 's_client', '-connect', `${lab.addr.pbx4}:5061`, '-brief'],
      15_000,
    );
    assert.notEqual(hello.code, 0, `a TLS handshake from the blocked address succeeded: ${hello.stdout}`);
    assert.doesNotMatch(hello.stdout + hello.stderr, /CONNECTION ESTABLISHED|Protocol version/);
    const r = await lab.script('bruteforce', [
      '--transport',
      'tls',
      '--count',
      '5',
      '--rate',
      '5',
      '--timeout',
      '8',
    ]);
    assert.equal(r.code, 0, `bruteforce.sh: ${r.stderr}`);
    await sleep(500);
    assert.equal(registrarFailures(lab, ip), before, 'guesses reached the registrar after the block');
  });

  it('plain UDP, seen twice (capture and mirror), is counted once', async () => {
    // trace_mode 1 mirrors every transport, so a UDP guess reaches sipprotd by libpcap and
    // by HEP: a second copy of an answer is a retransmission, not a second failure. Were
    // it counted twice, the block would come after HIT_COUNT / 2 failures.
    const ip = lab.extraAttacker4(0);
    // The phones are done first, so what the mirror carries from here on is this attack.
    await phonesDone(lab, phones);
    const hepBefore = await hepReceived();
    const r = await lab.script('bruteforce', [
      '--src',
      ip,
      '--count',
      '15',
      '--rate',
      '5',
      '--timeout',
      '20',
    ]);
    assert.equal(r.code, 0, `bruteforce.sh: ${r.stderr}`);
    await waitFor('the UDP attacker in the kernel set', async () => (await guard.dynSet()).has(ip), 10_000);
    const through = registrarFailures(lab, ip);
    assert.ok(
      through >= HIT_COUNT && through <= HIT_COUNT + 2,
      `${through} failures reached the registrar before the block (HIT_COUNT ${HIT_COUNT})`,
    );
    // Each guess that got through is 4 messages (REGISTER, 401, REGISTER, 401), all mirrored.
    const mirrored = (await hepReceived()) - hepBefore;
    assert.ok(mirrored >= 4 * through, `the mirror carried ${mirrored} messages for ${through} guesses`);
    const block = await guard.dynamicOf(ip);
    assert.equal(block?.transport, 'udp');
    assert.ok(
      block && block.attempts >= HIT_COUNT && block.attempts <= HIT_COUNT + 2,
      `attempts ${block?.attempts}`,
    );
  });

  it('IPv6: a brute force over TLS is blocked in the IPv6 set', async () => {
    // HEP carries IPv6 peers in chunks 5/6; the block must name the attacker's IPv6 address.
    const ip = lab.addr.atk6;
    const r = await lab.script('bruteforce', [
      '--transport',
      'tls',
      '--family',
      '6',
      '--count',
      '15',
      '--rate',
      '5',
      '--timeout',
      '20',
    ]);
    assert.equal(r.code, 0, `bruteforce.sh: ${r.stderr}`);
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
      through.every((f) => f.proto === 'tls'),
      `not all over TLS: ${through.map((f) => f.proto)}`,
    );
    const block = await guard.dynamicOf(ip);
    assert.equal(block?.reason, 'auth-failures');
    assert.equal(block?.transport, 'tls');
    assert.equal(block?.port, 5061);
    assert.equal(
      watcher.firstSeen.has(lab.addr.pbx6),
      false,
      'the PBX’s IPv6 address appeared in the dynamic set',
    );
  });

  it('the phones registering over TLS throughout were never blocked', async () => {
    const regs = await phonesDone(lab, phones);
    for (const user of phones.users)
      assert.equal(regs.get(user) ?? 0, phones.loops, `phone ${user}: registrations`);
    assert.ok(
      lab
        .registrations()
        .filter((g) => g.src === lab.addr.phone4)
        .every((g) => g.proto === 'tls'),
      'the phones registered over TLS',
    );
    assert.equal(
      watcher.firstSeen.has(lab.addr.phone4),
      false,
      'the phones’ address appeared in the dynamic set',
    );
    assert.deepEqual(
      (await guard.dynamic()).map((b) => b.ip).sort(),
      [lab.addr.atk4, lab.extraAttacker4(0), lab.addr.atk6].sort(),
    );
    assert.equal(guard.logProblems(), '', 'the daemon logged errors');
  });
});
