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
import { labUnavailable } from '../lab/lab.testkit.js';
import { waitFor } from './guard.testkit.js';
import {
  assertMirroredBlock,
  assertNoneArrive,
  assertOnlyAttackersBlocked,
  HepMirror,
  HIT_COUNT,
} from './hep.testkit.js';
import { type PhonesRun, phonesDone, registrarFailures, startPhones } from './traffic.testkit.js';

const TLS_MODULE = '/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so';

describe('live guard: SIP over TLS through a HEPv3 mirror (Kamailio siptrace, netns, root)', () => {
  const m = new HepMirror();
  let phones: PhonesRun;

  before(async () => {
    assert.equal(labUnavailable(), null, `cannot run the SIP lab: ${labUnavailable()}`);
    for (const need of ['/usr/bin/socat', TLS_MODULE])
      assert.ok(existsSync(need), `${need} is missing (scripts/setup.sh installs it)`);
    // What the README tells an admin: the TLS port is a SIP port too.
    await m.up('tlsfuzz', { tls: true }, '5060:5061');
    phones = await startPhones(m.lab, { loops: 6, intervalMs: 2000, transport: 'tls' });
  });

  after(() => m.down());

  /** bruteforce.sh (sipp; TLS through socat) at 5 guesses a second, which must finish. */
  async function bruteforce(...args: string[]): Promise<void> {
    const r = await m.lab.script('bruteforce', [...args, '--rate', '5']);
    assert.equal(r.code, 0, `bruteforce.sh: ${r.stderr}`);
  }

  async function hepReceived(): Promise<number> {
    const r = await m.guard.cli('status', '--json');
    assert.equal(r.code, 0, r.stderr);
    const n = (JSON.parse(r.stdout) as { live?: { hepReceived: number | null } }).live?.hepReceived;
    assert.equal(typeof n, 'number', `status: ${r.stdout.slice(0, 400)}`);
    return n as number;
  }

  it('a brute force over TLS is blocked under the attacker’s own address', async () => {
    const ip = m.lab.addr.atk4;
    await bruteforce('--transport', 'tls', '--count', '15', '--timeout', '20');
    // Blocked within a guess or two of HIT_COUNT, on the TLS port, as tls (core/packet/hep.ts:
    // Kamailio marks TLS in HEP with IP protocol 22; once read as udp).
    await assertMirroredBlock(m, {
      ip,
      proto: 'tls',
      user: '100',
      port: 5061,
      transport: 'tls',
      first: true,
    });
  });

  it('once blocked, the attacker cannot open a TLS connection; its guesses never arrive', async () => {
    const ip = m.lab.addr.atk4;
    const before = registrarFailures(m.lab, ip);
    const hello = await m.lab.exec(
      'atk',
      ['timeout', '5', 'openssl', 's_client', '-connect', `${m.lab.addr.pbx4}:5061`, '-brief'],
      15_000,
    );
    assert.notEqual(hello.code, 0, `a TLS handshake from the blocked address succeeded: ${hello.stdout}`);
    assert.doesNotMatch(hello.stdout + hello.stderr, /CONNECTION ESTABLISHED|Protocol version/);
    await bruteforce('--transport', 'tls', '--count', '5', '--timeout', '8');
    await assertNoneArrive(m, ip, before);
  });

  it('plain UDP, seen twice (capture and mirror), is counted once', async () => {
    // trace_mode 1 mirrors every transport, so a UDP guess reaches sipprotd by libpcap and
    // by HEP: a second copy of an answer is a retransmission, not a second failure. Were
    // it counted twice, the block would come after HIT_COUNT / 2 failures.
    const ip = m.lab.extraAttacker4(0);
    // The phones are done first, so what the mirror carries from here on is this attack.
    await phonesDone(m.lab, phones);
    const hepBefore = await hepReceived();
    await bruteforce('--src', ip, '--count', '15', '--timeout', '20');
    await waitFor('the UDP attacker in the kernel set', async () => (await m.guard.dynSet()).has(ip), 10_000);
    const through = registrarFailures(m.lab, ip);
    assert.ok(
      through >= HIT_COUNT && through <= HIT_COUNT + 2,
      `${through} failures reached the registrar before the block (HIT_COUNT ${HIT_COUNT})`,
    );
    // Each guess that got through is 4 messages (REGISTER, 401, REGISTER, 401), all mirrored.
    const mirrored = (await hepReceived()) - hepBefore;
    assert.ok(mirrored >= 4 * through, `the mirror carried ${mirrored} messages for ${through} guesses`);
    const block = await m.guard.dynamicOf(ip);
    assert.equal(block?.transport, 'udp');
    assert.ok(
      block && block.attempts >= HIT_COUNT && block.attempts <= HIT_COUNT + 2,
      `attempts ${block?.attempts}`,
    );
  });

  it('IPv6: a brute force over TLS is blocked in the IPv6 set', async () => {
    // HEP carries IPv6 peers in chunks 5/6; the block must name the attacker's IPv6 address.
    const ip = m.lab.addr.atk6;
    await bruteforce('--transport', 'tls', '--family', '6', '--count', '15', '--timeout', '20');
    await assertMirroredBlock(m, { ip, proto: 'tls', user: '100', port: 5061, transport: 'tls' });
  });

  it('the phones registering over TLS throughout were never blocked', async () => {
    const regs = await phonesDone(m.lab, phones);
    for (const user of phones.users)
      assert.equal(regs.get(user) ?? 0, phones.loops, `phone ${user}: registrations`);
    assert.ok(
      m.lab
        .registrations()
        .filter((g) => g.src === m.lab.addr.phone4)
        .every((g) => g.proto === 'tls'),
      'the phones registered over TLS',
    );
    await assertOnlyAttackersBlocked(m, [m.lab.addr.atk4, m.lab.extraAttacker4(0), m.lab.addr.atk6]);
  });
});
