/**
 * A rotation swept in steps (state.ts) decides exactly what a rotation in one piece
 * decides: the same random traffic (hundreds of sources failing, registering, probing,
 * going idle for more than a period and coming back) through two Engines, one freeing a
 * single dropped source per step (so every sweep spans many packets, and packets land on
 * sources that wait for it), one sweeping in the rotating call. Every decision, verdict
 * and alert must be equal, in order.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine } from '../engine.js';
import { mulberry32 } from '../prng.testkit.js';
import type { Config, Decision, SipEvent, Verdict } from '../types.js';
import type { Alert } from './alerts.js';
import {
  answer,
  authedExchange,
  crackAttempt,
  detection,
  notFound404,
  phoneRegistration,
  register,
  testConfig,
} from './detect.testkit.js';

interface Run {
  decisions: Decision[];
  verdicts: Verdict[];
  alerts: Alert[];
  /** Events after which the engine's table still waited for its sweep. */
  midSweep: number;
  tracked: number[];
}

/**
 * Random traffic over `minutes` of packet time from `sources` addresses, in time order:
 * a packet every `gap` / 2 s on average, each source busy for two spells of `spell`
 * seconds and idle for the third.
 */
function traffic(
  seed: number,
  sources: number,
  minutes: number,
  spell: number,
  gap: number,
): { events: SipEvent[]; ticks: number[] } {
  const rnd = mulberry32(seed);
  const ips = Array.from({ length: sources }, (_, i) =>
    i % 7 === 0
      ? `2001:db8:${(i * 37).toString(16)}::${i}`
      : `10.${(i >> 8) & 255}.${i & 255}.${(i * 13) & 255}`,
  );
  // An idle source is dropped by the second rotation after its last packet and starts
  // afresh when it comes back.
  const events: SipEvent[] = [];
  const ticks: number[] = [];
  for (let t = 0; t < minutes * 60; t += rnd() * gap) {
    if (rnd() < 0.02) ticks.push(t);
    const i = Math.floor(rnd() ** 2 * sources);
    if (Math.floor((t + i * 53) / spell) % 3 === 2) continue;
    const ip = ips[i]!;
    const user = `${100 + Math.floor(rnd() * 12)}`;
    const r = rnd();
    if (r < 0.55) events.push(...crackAttempt(ip, user, t, { status: rnd() < 0.5 ? 401 : 403 }));
    else if (r < 0.7) events.push(...phoneRegistration(ip, user, t));
    else if (r < 0.85) {
      const req = register({ at: t, ip, user: `${200 + Math.floor(rnd() * 40)}` });
      events.push(req, notFound404(req));
    } else if (r < 0.95)
      events.push(...authedExchange(ip, 'INVITE', user, t, 403, { uriUser: `0044${i}77` }));
    else {
      const req = register({ at: t, ip, user });
      events.push(req, answer(req, 401));
    }
  }
  events.sort((a, b) => a.at - b.at);
  return { events, ticks };
}

function run(config: Config, sweepStep: number, events: SipEvent[], ticks: number[]): Run {
  const out: Run = { decisions: [], verdicts: [], alerts: [], midSweep: 0, tracked: [] };
  const e = new Engine(config, {
    lists: { check: () => ({ status: 'none' }) },
    country: () => null,
    detector: { sweepStep },
    onVerdict: (v) => out.verdicts.push(v),
    onAlert: (a) => out.alerts.push(a),
  });
  let k = 0;
  for (const ev of events) {
    while (k < ticks.length && ticks[k]! < ev.at) out.decisions.push(...e.tick(ticks[k++]!));
    out.decisions.push(...e.onEvent(ev));
    if (e.detector.sweeping > 0) out.midSweep++;
    out.tracked.push(e.detector.trackedIps);
  }
  return out;
}

describe('rotation in steps', () => {
  const manual = detection({ slowHour: 0, slowDay: 0, distributedSources: 0, tollCount: 2 });
  for (const seed of [1, 7, 2026]) {
    test(`every decision equals a one-piece rotation's, packets arriving mid-sweep (seed ${seed})`, () => {
      // One generation a minute (MONIT_PERIOD 60, no slow rules): 30 rotations.
      const config = testConfig({ monitPeriod: 60, hitCount: 6, detection: manual });
      const { events, ticks } = traffic(seed, 600, 30, 150, 0.4);
      const steps = run(config, 1, events, ticks);
      const whole = run(config, Number.POSITIVE_INFINITY, events, ticks);
      assert.ok(steps.midSweep > 1000, `packets arrived mid-sweep (${steps.midSweep} of ${events.length})`);
      assert.equal(whole.midSweep, 0);
      assert.ok(steps.decisions.length > 20, `the traffic decides things (${steps.decisions.length})`);
      assert.deepEqual(steps.tracked, whole.tracked, 'tracked sources after every event');
      assert.deepEqual(steps.verdicts, whole.verdicts);
      assert.deepEqual(steps.alerts, whole.alerts);
      assert.deepEqual(steps.decisions, whole.decisions);
    });
  }

  test('the default rules (a 3 h generation) over 10 h: same decisions', () => {
    const config = testConfig({ monitPeriod: 60, detection: detection() });
    const { events, ticks } = traffic(99, 3000, 10 * 60, 3 * 3600, 2);
    const steps = run(config, 1, events, ticks);
    const whole = run(config, Number.POSITIVE_INFINITY, events, ticks);
    assert.ok(steps.midSweep > 150, `packets arrived mid-sweep (${steps.midSweep})`);
    assert.deepEqual(steps.verdicts, whole.verdicts);
    assert.deepEqual(steps.alerts, whole.alerts);
    assert.deepEqual(steps.decisions, whole.decisions);
  });
});
