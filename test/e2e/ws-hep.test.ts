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
import { type LabNamespace, type LabResult, labUnavailable } from '../lab/lab.testkit.js';
import {
  assertMirroredBlock,
  assertNoneArrive,
  assertOnlyAttackersBlocked,
  HepMirror,
} from './hep.testkit.js';
import { registrarFailures } from './traffic.testkit.js';

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
  const m = new HepMirror();
  let phonesWs: Promise<LabResult>;
  let phonesWss: Promise<LabResult>;

  /** ws-sip.ts inside a lab namespace, from `src` (an address of that namespace). */
  function wsSip(ns: LabNamespace, src: string, url: string, args: string[]): Promise<LabResult> {
    return m.lab.exec(ns, ['node', '--import', 'tsx', WS_SIP, '--url', url, '--src', src, ...args], 120_000);
  }

  /**
   * `count` guesses of user 100's password at 5 a second from `ip`; ws-sip.ts must finish.
   * `giveUp`: the run ends after that many unanswered guesses in a row (0: never).
   */
  async function guess(
    ip: string,
    url: string,
    count: number,
    timeoutS: number,
    giveUp = 0,
  ): Promise<Exchange[]> {
    const args = ['--mode', 'guess', '--count', String(count), '--rate', '5', '--timeout', String(timeoutS)];
    args.push('--give-up', String(giveUp));
    const r = await wsSip('atk', ip, url, args);
    assert.equal(r.code, 0, `ws-sip.ts: ${r.stderr}`);
    return exchanges(r);
  }

  const ws4 = () => `ws://${m.lab.addr.pbx4}:8080`;
  const wss4 = () => `wss://${m.lab.addr.pbx4}:4443`;
  const wss6 = () => `wss://[${m.lab.addr.pbx6}]:4443`;

  before(async () => {
    assert.equal(labUnavailable(), null, `cannot run the SIP lab: ${labUnavailable()}`);
    for (const need of ['websocket.so', 'xhttp.so', 'tls.so'])
      assert.ok(existsSync(join(MODULES, need)), `${need} is missing (scripts/setup.sh installs it)`);
    // What the README tells an admin: the WebSocket ports are SIP ports too.
    await m.up('wshep', { ws: true, tls: true }, '5060:5061,8080,4443');
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
    phonesWs = wsSip('phones', m.lab.addr.phone4, ws4(), [...register, '--users', '100,101,102']);
    phonesWss = wsSip('phones', m.lab.addr.phone4, wss4(), [...register, '--users', '103,104']);
  });

  after(() => m.down());

  it('a brute force over WebSocket is blocked under the attacker’s own address', async () => {
    const ip = m.lab.addr.atk4;
    // Two unanswered guesses in a row end the run: waiting out the other ones (3 s each, 20 s
    // in all) proved nothing more; the next test sends more from the blocked address.
    const guesses = await guess(ip, ws4(), 15, 20, 2);
    // The guesses after the block get no answer at all (status 0): the connection is dead.
    const answered = guesses.filter((e) => e.status !== 0).length;
    assert.ok(answered < 15, `all ${answered} guesses were answered: no block`);
    assert.deepEqual(
      guesses.slice(-2).map((e) => e.status),
      [0, 0],
      `the run ended without two unanswered guesses: ${JSON.stringify(guesses)}`,
    );
    // Kamailio writes IP protocol 22 for a request that came over WS, as for TLS and WSS
    // (core/packet/hep.ts): sipprot records it as tls.
    await assertMirroredBlock(m, { ip, proto: 'ws', user: '100', port: 8080, transport: 'tls', first: true });
  });

  it('once blocked, the attacker cannot open a WebSocket; its guesses never arrive', async () => {
    const ip = m.lab.addr.atk4;
    const before = registrarFailures(m.lab, ip);
    const probe = await wsSip('atk', ip, ws4(), ['--mode', 'probe', '--timeout', '5']);
    assert.equal(
      probe.code,
      1,
      `a WebSocket from the blocked address opened: ${probe.stdout} ${probe.stderr}`,
    );
    assert.deepEqual(JSON.parse(probe.stdout), { open: false });
    // The same probe from a free address of the same namespace opens: the block, not the lab.
    const free = await wsSip('atk', m.lab.extraAttacker4(1), ws4(), ['--mode', 'probe', '--timeout', '5']);
    assert.equal(free.code, 0, `a WebSocket from a free address did not open: ${free.stdout} ${free.stderr}`);
    const after = await guess(ip, ws4(), 3, 10);
    assert.ok(
      after.every((e) => e.status === 0),
      `answers after the block: ${JSON.stringify(after)}`,
    );
    await assertNoneArrive(m, ip, before);
  });

  it('IPv6: a brute force over secure WebSocket is blocked in the IPv6 set', async () => {
    const ip = m.lab.addr.atk6;
    const guesses = await guess(ip, wss6(), 15, 20, 2);
    assert.deepEqual(
      guesses.slice(-2).map((e) => e.status),
      [0, 0],
      `the run ended without two unanswered guesses: ${JSON.stringify(guesses)}`,
    );
    await assertMirroredBlock(m, { ip, proto: 'wss', user: '100', port: 4443, transport: 'tls' });
  });

  it('the phones registering over WS and WSS throughout were never blocked', async () => {
    const done = [...exchanges(await phonesWs), ...exchanges(await phonesWss)];
    for (const user of ['100', '101', '102', '103', '104']) {
      const mine = done.filter((e) => e.user === user).map((e) => e.status);
      assert.deepEqual(mine, Array(LOOPS).fill(200), `phone ${user}: answers ${mine}`);
    }
    const regs = m.lab.registrations().filter((g) => g.src === m.lab.addr.phone4);
    assert.equal(regs.length, 5 * LOOPS, `registrations from the phones: ${regs.length}`);
    assert.deepEqual(
      regs
        .filter((g) => g.proto === 'wss')
        .map((g) => g.user)
        .sort(),
      [...Array(LOOPS).fill('103'), ...Array(LOOPS).fill('104')],
      'users 103 and 104 registered over WSS, the others over WS',
    );
    await assertOnlyAttackersBlocked(m, [m.lab.addr.atk4, m.lab.addr.atk6]);
  });
});
