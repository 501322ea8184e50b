/**
 * Traffic helpers on top of the lab scripts: a reachability probe, phones running in
 * the background and their verdict. Every run is bounded in count and time.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab, LabResult } from '../lab/lab.testkit.js';

const PING_SCENARIO = join(dirname(fileURLToPath(import.meta.url)), 'sipp', 'options-ping.xml');

/**
 * Sends `count` OPTIONS to the PBX from `src` (an attacker namespace address) and
 * returns how many were answered. Not an attack: the registrar answers 200.
 */
export async function ping(
  lab: Lab,
  src: string,
  o: { count?: number; transport?: 'udp' | 'tcp' } = {},
): Promise<number> {
  const count = o.count ?? 3;
  assert.ok(Number.isInteger(count) && count >= 1 && count <= 20, 'ping count 1-20');
  const target = src.includes(':') ? `[${lab.addr.pbx6}]:5060` : `${lab.addr.pbx4}:5060`;
  const r = await lab.exec(
    'atk',
    [
      'sipp',
      '-sf',
      PING_SCENARIO,
      '-t',
      o.transport === 'tcp' ? 't1' : 'u1',
      '-i',
      src,
      '-m',
      String(count),
      '-r',
      '20',
      '-timeout',
      '15s',
      '-recv_timeout',
      '1000',
      '-max_retrans',
      '1',
      '-nostdin',
      target,
    ],
    30_000,
  );
  return successfulCalls(r);
}

/** The cumulative "Successful call" count of sipp's final statistics screen. */
export function successfulCalls(r: LabResult): number {
  const m = /Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(r.stdout);
  if (!m) {
    // sipp could not even start (bind error...): a failed probe, with the reason shown.
    throw new Error(`sipp printed no statistics (exit ${r.code}): ${r.stderr || r.stdout}`.slice(0, 2000));
  }
  return Number(m[1]);
}

export interface PhonesRun {
  users: string[];
  loops: number;
  intervalMs: number;
  startedAt: number;
  /** Upper bound of the time the phones need (the script's own bound). */
  endsBy: number;
}

/**
 * Working phones (users 100-104 behind 10.77.N.20) registering every `intervalMs`,
 * `loops` times, in the background: REGISTER → 401 → REGISTER with credentials → 200.
 */
export async function startPhones(
  lab: Lab,
  o: { loops: number; intervalMs: number; transport?: 'udp' | 'tcp' | 'tls' },
): Promise<PhonesRun> {
  const users = ['100', '101', '102', '103', '104'];
  const startedAt = Date.now() / 1000;
  const r = await lab.script('phones', [
    '--users',
    users.join(' '),
    '--loops',
    String(o.loops),
    '--interval',
    String(o.intervalMs),
    ...(o.transport ? ['--transport', o.transport] : []),
    '--background',
  ]);
  assert.equal(r.code, 0, `phones.sh failed: ${r.stderr}`);
  const limit = (o.loops * (o.intervalMs + 3000)) / 1000 + 10;
  return { users, loops: o.loops, intervalMs: o.intervalMs, startedAt, endsBy: startedAt + limit };
}

/** Successful registrations per phone user, from the registrar's own log. */
export function registrationsByUser(lab: Lab): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of lab.registrations()) {
    if (r.src !== lab.addr.phone4) continue;
    out.set(r.user, (out.get(r.user) ?? 0) + 1);
  }
  return out;
}

/**
 * Waits until every phone has done all its registrations (or the phones' time is up)
 * and returns the count per user: a phone that lost its registration even once (an
 * answer that never came) ends with fewer than `loops`.
 */
export async function phonesDone(lab: Lab, phones: PhonesRun): Promise<Map<string, number>> {
  for (;;) {
    const regs = registrationsByUser(lab);
    const done = phones.users.every((u) => (regs.get(u) ?? 0) >= phones.loops);
    if (done || Date.now() / 1000 > phones.endsBy) return regs;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Every phone registered every time: at least `loops` successful registrations each. More
 * is no loss: on a loaded machine sipp retransmits a REGISTER whose 200 came late and the
 * registrar logs both.
 */
export function assertNoRegistrationLost(regs: Map<string, number>, phones: PhonesRun): void {
  for (const user of phones.users) {
    const n = regs.get(user) ?? 0;
    assert.ok(n >= phones.loops, `phone ${user}: ${n} registrations of ${phones.loops}`);
  }
}

/** Failed authentications the registrar logged for `src` (what got through to it). */
export function registrarFailures(lab: Lab, src: string): number {
  return lab.authFailures().filter((f) => f.src === src).length;
}
