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
import {
  assertNoRegistrationLost,
  type PhonesRun,
  phonesDone,
  registrarFailures,
  startPhones,
} from './traffic.testkit.js';
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

  // Issue 12 item 5: without a User-Agent svwar still sends SIPVicious's request
  // template (branch z9hG4bK-<digits>, a Call-ID of digits: FINGERPRINTS.md), so it is a
  // scanner at its first request. (Before issue 12 it was enumeration after ENUM_USERS
  // probes; enumeration is covered by the unit tests and the svwar-enum golden.)
  it('svwar (OPTIONS, compact, no User-Agent) is blocked as a scanner at its first request', async () => {
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
    const block = await waitFor('the scanner block', () => guard.dynamicOf(ip), 5000);
    assert.equal(block.reason, 'scanner');
    assert.equal(block.userAgent, null);
    assert.equal(block.attempts, 1, 'the template needs no second packet');
    assert.match(block.note ?? '', /SIPVicious/);

    const requests = sipRequests(packets, { from: ip });
    const answers = sipAnswers(packets, { to: ip });
    assert.ok(requests.length >= 1, 'svwar sent nothing');
    assert.ok(Math.abs(block.blockedAt - requests[0]!.at) < 0.05, 'blocked on the packet svwar sent first');
    // The block reaches the kernel ~1 ms after the first request (bench/latency: p99 <= 5 ms
    // on a quiet machine), and svwar sends its second ~6 ms after its first: on a quiet
    // machine only the first probe is answered. During a CI run on 2 cores a single block
    // took 28 ms (and an unpaced brute force got answers past HIT_COUNT + 1), so what is
    // asserted is the block's budget there: nothing answered LATE_S after the first
    // request. A block that waited for the store's commit (GATHER_MS 100) fails it.
    const LATE_S = 0.05;
    const late = answers.filter((a) => a.at > requests[0]!.at + LATE_S);
    assert.deepEqual(
      late,
      [],
      `${answers.length} answers, ${late.length} of them ${LATE_S * 1000} ms after the first request: the block came late`,
    );
    const inSet = watcher.firstSeen.get(ip);
    assert.ok(inSet, 'never in the kernel set');
    assert.deepEqual(
      answers.filter((a) => a.at > inSet),
      [],
      'answers after the block reached the kernel',
    );
  });

  // Issue 12 item 2: the 10th address failing on the same user is DISTRIBUTED_SOURCES
  // (10): every address that failed on it is blocked then (reason distributed), which
  // can be before its own HIT_COUNT-th failure; never after it.
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
      assert.ok(b.reason === 'auth-failures' || b.reason === 'distributed', `${ip}: ${b.reason}`);
      assert.ok((await guard.dynSet()).has(ip), `${ip} not in the kernel set`);
      const fails = answeredFailures(packets, { to: ip });
      const least = b.reason === 'auth-failures' ? HIT_COUNT : 1;
      assert.ok(
        fails.length >= least && fails.length <= HIT_COUNT + 1,
        `${ip} (${b.reason}): ${fails.length} answered`,
      );
      assert.ok(registrarFailures(lab, ip) <= HIT_COUNT + 1, `${ip}: registrar saw too many`);
      const inSet = watcher.firstSeen.get(ip)!;
      const late = sipAnswers(packets, { to: ip }).filter((a) => a.at > inSet);
      assert.deepEqual(late, [], `${ip} got answers after its block (in the set at ${inSet})`);
    }
  });

  it('the phones registering throughout never lost a registration and were never blocked', async () => {
    const regs = await phonesDone(lab, phones);
    assertNoRegistrationLost(regs, phones);
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
