/**
 * What the HEP mirror end-to-end tests share (tls-hep.test.ts, ws-hep.test.ts): SIP that
 * no capture can read (TLS, WebSocket) reaches sipprotd only as Kamailio's HEPv3 mirror
 * (siptrace, trace_mode 1: every message it receives and sends, decrypted, to HEP_LISTEN).
 * Here: the lab with that mirror and a guard whose SIP_PORTS name the transport's ports
 * (what the README tells an admin), HIT_COUNT 5, and the checks every transport must pass:
 * - an attacker seen only through the mirror is blocked in its family's real nft set
 *   within a guess or two of HIT_COUNT (the mirror adds a hop), under its own address
 *   (the one HEP reports), with the port and transport HEP reported — never the SIP
 *   server that mirrored the messages nor the feed's source 127.0.0.1;
 * - once blocked, none of its guesses reaches the registrar;
 * - at the end, only the attackers are blocked and the daemon logged no error.
 * What is specific to a transport (its client, its phones, its probes) stays in its test.
 */
import assert from 'node:assert/strict';
import { Lab, type LabOptions } from '../lab/lab.testkit.js';
import { Guard, SetWatcher, sleep, waitFor } from './guard.testkit.js';
import { registrarFailures } from './traffic.testkit.js';

export const HIT_COUNT = 5;
const HEP = '127.0.0.1:9060';

/** The lab, the guard reading the mirror, and the watcher of its dynamic sets. */
export class HepMirror {
  lab!: Lab;
  guard!: Guard;
  watcher!: SetWatcher;

  /**
   * `name`: the lab id's prefix (the PID is added: namespaces sp-<name><pid>-*);
   * `sipPorts`: SIP_PORTS, the transport's ports included.
   */
  async up(name: string, opts: Pick<LabOptions, 'tls' | 'ws'>, sipPorts: string): Promise<void> {
    this.lab = await Lab.up({ id: `${name}${process.pid.toString(36)}`, ...opts, hep: HEP });
    this.guard = await Guard.create(this.lab, {
      HIT_COUNT,
      MONIT_PERIOD: 60,
      BLOCKTIME: 120,
      HEP_LISTEN: HEP,
      SIP_PORTS: sipPorts,
    });
    await this.guard.start();
    this.watcher = new SetWatcher(this.guard);
    this.watcher.start();
  }

  /** Whatever came up goes down (a failed `up` too). */
  async down(): Promise<void> {
    this.watcher?.stop();
    await this.guard?.dispose();
    await this.lab?.down();
  }
}

export interface MirroredAttack {
  /** The attacker's address (IPv4 or IPv6: the set of that family is checked). */
  ip: string;
  /** The registrar's proto for every one of its failures (tls, ws, wss). */
  proto: string;
  /** The user whose password it guessed (the clients' default: 100). */
  user: string;
  /** What the block must record: the port HEP reported, and the transport ('tls' for IP
   * protocol 22, Kamailio's marker for TLS, WS and WSS: core/packet/hep.ts). */
  port: number;
  transport: string;
  /** The test's first block: the attacker is the only address blocked. */
  first?: boolean;
}

/** An attack that came only through the mirror is blocked as HEP reported it (see the header). */
export async function assertMirroredBlock(m: HepMirror, a: MirroredAttack): Promise<void> {
  const family = a.ip.includes(':') ? 6 : 4;
  await waitFor(
    `the IPv${family} attacker in the kernel set`,
    async () => (await m.guard.kernelSet('dyn', family)).has(a.ip),
    10_000,
  );
  const through = m.lab.authFailures().filter((f) => f.src === a.ip);
  assert.ok(
    through.length >= HIT_COUNT && through.length <= HIT_COUNT + 2,
    `${through.length} failures from ${a.ip} reached the registrar (HIT_COUNT ${HIT_COUNT})`,
  );
  assert.ok(
    through.every((f) => f.proto === a.proto),
    `not all over ${a.proto}: ${through.map((f) => f.proto)}`,
  );
  const block = await m.guard.dynamicOf(a.ip);
  assert.ok(block, `${a.ip} is not in sipprot status --dynamic\n${m.guard.logProblems()}`);
  assert.equal(block.reason, 'auth-failures');
  assert.ok(block.attempts >= HIT_COUNT, `attempts ${block.attempts}`);
  assert.ok(block.users.includes(a.user), `users: ${block.users}`);
  assert.equal(block.port, a.port, 'the port HEP reported: the one the attacker used');
  assert.equal(block.transport, a.transport);
  for (const not of [m.lab.addr.pbx4, m.lab.addr.pbx6, '127.0.0.1'])
    assert.equal(m.watcher.firstSeen.has(not), false, `${not} appeared in the dynamic set`);
  if (a.first)
    assert.deepEqual(
      (await m.guard.dynamic()).map((b) => b.ip),
      [a.ip],
    );
}

/**
 * After guesses from the blocked `ip`: the registrar logged no failure beyond the `before`
 * it had. The half second lets Kamailio's log catch up with a guess that did get through.
 */
export async function assertNoneArrive(m: HepMirror, ip: string, before: number): Promise<void> {
  await sleep(500);
  assert.equal(registrarFailures(m.lab, ip), before, 'guesses reached the registrar after the block');
}

/** At the end: the phones' address never blocked, exactly `attackers` blocked, no error logged. */
export async function assertOnlyAttackersBlocked(m: HepMirror, attackers: string[]): Promise<void> {
  assert.equal(
    m.watcher.firstSeen.has(m.lab.addr.phone4),
    false,
    'the phones’ address appeared in the dynamic set',
  );
  assert.deepEqual((await m.guard.dynamic()).map((b) => b.ip).sort(), [...attackers].sort());
  assert.equal(m.guard.logProblems(), '', 'the daemon logged errors');
}
