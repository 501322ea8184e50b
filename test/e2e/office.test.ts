/**
 * End to end (root): the real daemon, on the product's defaults, guards the lab PBX
 * while an office of 30 phones behind one NAT does what offices do: re-registrations
 * from new source ports, MWI and presence SUBSCRIBEs with the PBX's NOTIFYs, BLF keys
 * retrying 10 extensions that no longer exist every 5 s (SUBSCRIBE -> 407 -> with
 * credentials -> 404), OPTIONS keep-alives, PUBLISH answered 489, wrong-number and
 * outside calls, and the PBX's OPTIONS qualify of every contact. The office's address
 * must never reach the dynamic set, its phones must keep registering, and an attacker
 * brute-forcing at the same time must still be blocked (so the guard is proven awake).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Lab, labUnavailable } from '../lab/lab.testkit.js';
import { Guard, SetWatcher, waitFor } from './guard.testkit.js';

const PHONES = 30;
const DURATION = 90;
const REGISTER_EVERY = 40;

describe('live guard: an office behind one NAT is never blocked (netns, root)', () => {
  let lab: Lab;
  let guard: Guard;
  let watcher: SetWatcher;

  before(async () => {
    const why = labUnavailable();
    assert.equal(why, null, `cannot run the SIP lab: ${why}`);
    lab = await Lab.up({ qualify: 10 });
    // The product's defaults (HIT_COUNT 10, MONIT_PERIOD 60, ENUM_*): what an admin runs.
    guard = await Guard.create(lab, { BLOCKTIME: 300 });
    await guard.start();
    watcher = new SetWatcher(guard);
    watcher.start();
  });

  after(async () => {
    watcher?.stop();
    await guard?.dispose();
    await lab?.down();
  });

  it('30 phones for 90 s, faster BLF: the office is never blocked; an attacker is', async () => {
    const office = lab.script(
      'office',
      [
        '--phones',
        String(PHONES),
        '--duration',
        String(DURATION),
        '--register-every',
        String(REGISTER_EVERY),
        '--mwi-every',
        '30',
        '--blf-phones',
        '2',
        '--blf-every',
        '5',
        '--call-every',
        '20',
      ],
      (DURATION + 60) * 1000,
    );
    // Halfway through, an attacker guesses passwords next to the office.
    await new Promise((r) => setTimeout(r, (DURATION / 2) * 1000));
    const bf = await lab.script('bruteforce', ['--count', '15', '--rate', '5', '--timeout', '20']);
    assert.equal(bf.code, 0, `bruteforce.sh: ${bf.stderr}`);
    await waitFor('the attacker in the dynamic set', () => watcher.firstSeen.has(lab.addr.atk4), 10_000);
    const r = await office;
    assert.equal(r.code, 0, `office.sh: ${r.stderr}`);

    assert.equal(
      watcher.firstSeen.has(lab.addr.phone4),
      false,
      `the office's address was blocked: ${JSON.stringify(guard.logRecords().filter((x) => x.ip === lab.addr.phone4))}`,
    );
    assert.equal(watcher.firstSeen.has(lab.addr.pbx4), false, 'the PBX itself was blocked');
    const blocked = (await guard.dynamic()).map((b) => b.ip);
    assert.deepEqual(blocked, [lab.addr.atk4]);
    assert.equal((await guard.dynamicOf(lab.addr.atk4))?.reason, 'auth-failures');

    // Every phone kept registering: at least one registration per interval it was up.
    const regs = new Map<string, number>();
    for (const x of lab.registrations()) {
      if (x.src === lab.addr.phone4) regs.set(x.user, (regs.get(x.user) ?? 0) + 1);
    }
    for (let i = 0; i < PHONES; i++) {
      const user = String(200 + i);
      assert.ok((regs.get(user) ?? 0) >= 2, `phone ${user} registered ${regs.get(user) ?? 0} times`);
    }
    assert.ok(watcher.polls > 100, `the set was sampled only ${watcher.polls} times`);
    assert.equal(guard.logProblems(), '', 'the daemon logged errors');
  });
});
