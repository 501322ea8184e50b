/**
 * End to end (root): the real daemon guards a lab PBX (Kamailio with digest auth) while
 * sipp brute-forces it over UDP, TCP and IPv6 and five phones register throughout.
 * Asserted on the wire (tcpdump in the attacker's namespace), in the kernel (nft) and in
 * the registrar's log: the block lands right after the HIT_COUNT-th failure, the
 * attacker gets no answer after it, and no phone ever loses a registration.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Lab, labUnavailable } from '../lab/lab.testkit.js';
import { Guard, SetWatcher } from './guard.testkit.js';
import {
  assertNoRegistrationLost,
  type PhonesRun,
  phonesDone,
  registrarFailures,
  startPhones,
} from './traffic.testkit.js';
import { answeredFailures, sipAnswers, sipRequests, Wire } from './wire.testkit.js';

const HIT_COUNT = 5;

describe('live guard: brute force over UDP, TCP and IPv6 (netns, root)', () => {
  let lab: Lab;
  let guard: Guard;
  let watcher: SetWatcher;
  let phones: PhonesRun;

  before(async () => {
    const why = labUnavailable();
    assert.equal(why, null, `cannot run the SIP lab: ${why}`);
    lab = await Lab.up();
    guard = await Guard.create(lab, { HIT_COUNT, MONIT_PERIOD: 60, BLOCKTIME: 120 });
    await guard.start();
    watcher = new SetWatcher(guard);
    watcher.start();
    phones = await startPhones(lab, { loops: 9, intervalMs: 2000 });
  });

  after(async () => {
    watcher?.stop();
    await guard?.dispose();
    await lab?.down();
  });

  async function bruteForce(o: { ip: string; transport: 'udp' | 'tcp'; family: 4 | 6; src?: string }) {
    const wire = await Wire.start(lab, 'atk');
    try {
      const args = ['--transport', o.transport, '--family', String(o.family), '--count', '15'];
      const r = await lab.script('bruteforce', [
        ...args,
        ...(o.src ? ['--src', o.src] : []),
        '--rate',
        '10',
        '--timeout',
        '20',
      ]);
      assert.equal(r.code, 0, `bruteforce.sh: ${r.stderr}`);
      return await wire.stop();
    } finally {
      wire.dispose();
    }
  }

  async function assertCutOff(
    ip: string,
    transport: 'udp' | 'tcp',
    packets: Awaited<ReturnType<Wire['stop']>>,
  ) {
    const fails = answeredFailures(packets, { to: ip });
    const story = () =>
      `failures answered at ${fails.map((f) => f.at.toFixed(3)).join(', ')}; in the set from ${watcher.firstSeen.get(ip)?.toFixed(3)}; daemon: ${JSON.stringify(guard.logRecords().filter((r) => r.ip === ip))}`;
    assert.ok(
      fails.length >= HIT_COUNT,
      `the registrar answered ${fails.length} failures, fewer than HIT_COUNT`,
    );
    assert.ok(
      fails.length <= HIT_COUNT + 1,
      `the attacker got ${fails.length} failed-auth answers; at most HIT_COUNT + 1 = ${HIT_COUNT + 1} allowed; ${story()}`,
    );
    assert.ok(
      registrarFailures(lab, ip) <= HIT_COUNT + 1,
      'the registrar logged more than HIT_COUNT + 1 failures',
    );

    const inSet = watcher.firstSeen.get(ip);
    assert.ok(inSet, `${ip} never appeared in the dynamic set\n${guard.logProblems()}`);
    const fifth = fails[HIT_COUNT - 1]!.at;
    assert.ok(
      inSet - fifth < 1,
      `block reached the kernel ${(inSet - fifth).toFixed(3)} s after the 5th failure`,
    );

    const late = sipAnswers(packets, { to: ip }).filter((a) => a.at > inSet);
    assert.deepEqual(late, [], 'answers reached the attacker after its block was in the kernel');
    const tries = sipRequests(packets, { from: ip }).filter((q) => q.at > inSet);
    assert.ok(tries.length > 0, 'the attacker stopped by itself: the test proves nothing about the block');

    const block = await guard.dynamicOf(ip);
    assert.ok(block, `${ip} is not in sipprot status --dynamic`);
    assert.equal(block.reason, 'auth-failures');
    assert.equal(block.transport, transport);
    assert.equal(block.port, 5060);
    assert.ok(block.users.includes('100'), `users: ${block.users}`);
    assert.ok(block.attempts >= HIT_COUNT);
    assert.ok(block.expiresAt !== null && block.timeLeft !== null && block.timeLeft > 100);
    const kernel = (await guard.dynSet()).get(ip);
    // The kernel timeout is what is left of BLOCKTIME (120 s) when the element was added
    // (plus a few seconds of slack if the daemon gives the kernel some).
    assert.ok(
      kernel?.timeout && kernel.timeout > 110 && kernel.timeout <= 125,
      `kernel: ${JSON.stringify(kernel)}`,
    );
  }

  it('UDP: blocked right after the 5th failure; no answer after the block', async () => {
    const ip = lab.addr.atk4;
    const packets = await bruteForce({ ip, transport: 'udp', family: 4 });
    await assertCutOff(ip, 'udp', packets);
  });

  it('TCP: blocked right after the 5th failure; no answer after the block', async () => {
    const ip = lab.extraAttacker4(0);
    const packets = await bruteForce({ ip, transport: 'tcp', family: 4, src: ip });
    await assertCutOff(ip, 'tcp', packets);
  });

  it('IPv6 over UDP: blocked in the IPv6 set', async () => {
    const ip = lab.addr.atk6;
    const packets = await bruteForce({ ip, transport: 'udp', family: 6 });
    await assertCutOff(ip, 'udp', packets);
    assert.ok((await guard.kernelSet('dyn', 6)).has(ip));
  });

  it('the phones registering throughout never lost a registration and were never blocked', async () => {
    const regs = await phonesDone(lab, phones);
    assertNoRegistrationLost(regs, phones);
    assert.ok(watcher.polls > 50, `the set was sampled only ${watcher.polls} times`);
    for (const ip of [lab.addr.phone4, lab.addr.phone6]) {
      assert.equal(watcher.firstSeen.has(ip), false, `phone address ${ip} appeared in the dynamic set`);
    }
    const blocked = (await guard.dynamic()).map((b) => b.ip).sort();
    assert.deepEqual(blocked, [lab.addr.atk4, lab.extraAttacker4(0), lab.addr.atk6].sort());
    assert.equal(guard.logProblems(), '', 'the daemon logged errors');
  });
});
