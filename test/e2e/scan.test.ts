/**
 * End to end (root): scanners, enumeration and a distributed brute force against the
 * real daemon guarding a lab PBX, with phones registering throughout. SIPVicious
 * (Debian 0.3.3) and sipp from the attacker namespace; tcpdump there is the witness of
 * what the attackers got back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Lab, labUnavailable } from '../lab/lab.testkit.js';
import { Guard, SetWatcher, waitFor } from './guard.testkit.js';
import { type PhonesRun, phonesDone, registrarFailures, startPhones } from './traffic.testkit.js';
import { answeredFailures, type Packet, sipAnswers, sipRequests, Wire } from './wire.testkit.js';

const HIT_COUNT = 5;
const ENUM_USERS = 10;

describe('live guard: scanner, enumeration, distributed attack (netns, root)', () => {
  let lab: Lab;
  let guard: Guard;
  let watcher: SetWatcher;
  let phones: PhonesRun;

  before(async () => {
    const why = labUnavailable();
    assert.equal(why, null, `cannot run the SIP lab: ${why}`);
    lab = await Lab.up();
    guard = await Guard.create(lab, { HIT_COUNT, ENUM_USERS, MONIT_PERIOD: 60, BLOCKTIME: 120 });
    await guard.start();
    watcher = new SetWatcher(guard);
    watcher.start();
    phones = await startPhones(lab, { loops: 10, intervalMs: 2000 });
  });

  after(async () => {
    watcher?.stop();
    await guard?.dispose();
    await lab?.down();
  });

  /** Runs `fn` with tcpdump in the attacker namespace and returns what it saw. */
  async function witnessed(fn: () => Promise<void>): Promise<Packet[]> {
    const wire = await Wire.start(lab, 'atk');
    try {
      await fn();
      return await wire.stop();
    } finally {
      wire.dispose();
    }
  }

  it('svmap (User-Agent friendly-scanner) is blocked at its first packet', async () => {
    const ip = lab.extraAttacker4(50);
    let out = '';
    const packets = await witnessed(async () => {
      const r = await lab.script('sipvicious', ['svmap', '--src', ip, '--timeout', '20']);
      assert.equal(r.code, 0, r.stderr);
      out = r.stdout;
    });
    const first = sipRequests(packets, { from: ip })[0];
    assert.ok(first, `svmap sent nothing: ${out}`);
    const block = await waitFor('the scanner block', () => guard.dynamicOf(ip), 5000);
    assert.equal(block.reason, 'scanner');
    assert.equal(block.userAgent, 'friendly-scanner');
    assert.equal(block.attempts, 1, 'a scanner needs no second packet');
    assert.equal(block.blockedAt, block.firstSeen);
    assert.ok(Math.abs(block.blockedAt - first.at) < 0.05, 'blocked on the packet svmap sent first');
    const inSet = watcher.firstSeen.get(ip);
    assert.ok(inSet && inSet - first.at < 1, `kernel set ${inSet} vs first packet ${first.at}`);

    // A second scan from the same address meets the block: no answer at all.
    const again = await witnessed(async () => {
      const r = await lab.script('sipvicious', ['svmap', '--src', ip, '--timeout', '20']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /10\.77\.\d+\.1:5060/, 'the second scan found the PBX');
    });
    assert.ok(sipRequests(again, { from: ip }).length > 0, 'the second scan sent nothing');
    assert.deepEqual(sipAnswers(again, { to: ip }), []);
  });

  it('svwar (OPTIONS, compact, no User-Agent) is blocked as enumeration after ENUM_USERS probes', async () => {
    const ip = lab.extraAttacker4(51);
    const packets = await witnessed(async () => {
      const r = await lab.script('sipvicious', [
        'svwar',
        '--compact',
        '--method',
        'OPTIONS',
        '--range',
        '100-199',
        '--src',
        ip,
        '--timeout',
        '30',
      ]);
      assert.equal(r.code, 0, r.stderr);
    });
    const block = await waitFor('the enumeration block', () => guard.dynamicOf(ip), 5000);
    assert.equal(block.reason, 'enumeration');
    assert.equal(block.userAgent, null);
    assert.ok(block.users.length >= 5, `users: ${block.users}`);

    const requests = sipRequests(packets, { from: ip });
    const answers = sipAnswers(packets, { to: ip });
    const notFound = answers.filter((a) => a.status === 404);
    // svwar probes one random extension, then 100-199: 100-109 exist (200), the rest
    // are 404s; ENUM_USERS of those make the block. A few more may be in flight.
    assert.ok(notFound.length >= ENUM_USERS - 1, `only ${notFound.length} 404s before the block`);
    assert.ok(notFound.length <= ENUM_USERS + 2, `${notFound.length} 404s answered: the block came late`);
    assert.ok(answers.length <= 10 + ENUM_USERS + 2, `${answers.length} answers in all`);
    assert.ok(requests.length >= 100, `svwar sent only ${requests.length} requests`);
    const inSet = watcher.firstSeen.get(ip);
    assert.ok(inSet, 'never in the kernel set');
    assert.deepEqual(
      answers.filter((a) => a.at > inSet),
      [],
      'answers after the block reached the kernel',
    );
  });

  it('a distributed brute force from 10 addresses: every address blocked, each within HIT_COUNT + 1', async () => {
    const sources = Array.from({ length: 10 }, (_, i) => lab.extraAttacker4(i));
    const packets = await witnessed(async () => {
      const r = await lab.script('distributed', [
        '--addrs',
        '10',
        '--count',
        '8',
        '--rate',
        '4',
        '--timeout',
        '30',
      ]);
      assert.equal(r.code, 0, r.stderr);
    });
    const blocks = new Map((await guard.dynamic()).map((b) => [b.ip, b]));
    for (const ip of sources) {
      const b = blocks.get(ip);
      assert.ok(b, `${ip} not blocked\n${guard.logProblems()}`);
      assert.equal(b.reason, 'auth-failures', ip);
      assert.ok((await guard.dynSet()).has(ip), `${ip} not in the kernel set`);
      const fails = answeredFailures(packets, { to: ip });
      assert.ok(
        fails.length >= HIT_COUNT && fails.length <= HIT_COUNT + 1,
        `${ip}: ${fails.length} answered`,
      );
      assert.ok(registrarFailures(lab, ip) <= HIT_COUNT + 1, `${ip}: registrar saw too many`);
      const inSet = watcher.firstSeen.get(ip)!;
      const late = sipAnswers(packets, { to: ip }).filter((a) => a.at > inSet);
      assert.deepEqual(late, [], `${ip} got answers after its block (in the set at ${inSet})`);
    }
  });

  it('the phones registering throughout never lost a registration and were never blocked', async () => {
    const regs = await phonesDone(lab, phones);
    for (const user of phones.users) {
      assert.equal(regs.get(user) ?? 0, phones.loops, `phone ${user}: registrations`);
    }
    assert.equal(watcher.firstSeen.has(lab.addr.phone4), false, 'a phone address appeared in the kernel set');
    const dynamic = await guard.dynamic();
    assert.equal(
      dynamic.some((b) => b.ip === lab.addr.phone4),
      false,
    );
    assert.equal(dynamic.length, 12, `blocked: ${dynamic.map((b) => b.ip).join(' ')}`);
    assert.equal(guard.logProblems(), '', 'the daemon logged errors');
  });
});
