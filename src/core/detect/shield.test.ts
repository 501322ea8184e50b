/**
 * Issue 10 item 7: one spoofed UDP packet with a scanner User-Agent blocked its forged
 * source — the admin's address, a SIP trunk, the upstream DNS server. Through the whole
 * Engine: a source that proved itself (a phone whose credentials were accepted, a trunk
 * that answered the server's own REGISTER) is not blocked on single-packet evidence but
 * alerted about; it is blocked when it completes an exchange a forger cannot (echoing the
 * nonce of a challenge sent to it); a protected peer is never blocked by any rule; an
 * address that proved nothing is blocked at once as before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../engine.js';
import type { ListLookup } from '../policy/policy.js';
import type { Decision, SipEvent } from '../types.js';
import type { Alert } from './alerts.js';
import {
  answer,
  crackAttempt,
  detection,
  ok200,
  options,
  phoneRegistration,
  register,
  SERVER,
  testConfig,
} from './detect.testkit.js';

const noLists: ListLookup = { check: () => ({ status: 'none' }) };
const PHONE = '203.0.113.10';
const STRANGER = '203.0.113.99';
const TRUNK = '198.51.100.20';
const RESOLVER = '192.0.2.53';

function setup(protectedPeers: string[] = [], over: Parameters<typeof testConfig>[0] = {}) {
  const alerts: Alert[] = [];
  const e = new Engine(testConfig({ hitCount: 3, ...over }), {
    lists: noLists,
    country: () => null,
    localAddresses: [SERVER],
    protectedPeer: (ip) => protectedPeers.includes(ip),
    onAlert: (a) => alerts.push(a),
  });
  const decided: Decision[] = [];
  const feed = (...evs: SipEvent[]) => {
    for (const ev of evs) decided.push(...e.onEvent(ev));
  };
  const blocked = (ip: string) => decided.some((d) => d.ip === ip && d.action === 'block');
  return { e, alerts, feed, blocked };
}

const scan = (ip: string, at: number, extra: Partial<Parameters<typeof options>[0]> = {}) =>
  options({ at, ip, ua: 'friendly-scanner', ...extra });

describe('forged single-packet evidence never blocks a proven or protected address', () => {
  it('an unproven address with a scanner User-Agent is blocked at once (unchanged)', () => {
    const { feed, blocked, alerts } = setup();
    feed(scan(STRANGER, 100));
    assert.equal(blocked(STRANGER), true);
    assert.equal(alerts.length, 0);
  });

  it('a phone that registered: a forged scanner packet in its name raises an alert, no block', () => {
    const { feed, blocked, alerts } = setup();
    feed(...phoneRegistration(PHONE, '100', 100));
    feed(scan(PHONE, 130), scan(PHONE, 131));
    assert.equal(blocked(PHONE), false);
    assert.equal(alerts.length, 1, 'once per source, not per packet');
    assert.equal(alerts[0]!.kind, 'shielded');
    assert.match(
      alerts[0]!.text,
      /^not blocked: a scanner User-Agent from 203\.0\.113\.10, an address that proved itself/,
    );
  });

  it('a scanner really at that address completes the exchange (echoes the nonce it was sent): blocked', () => {
    const { feed, blocked } = setup();
    feed(...phoneRegistration(PHONE, '100', 100));
    const r1 = register({ at: 140, ip: PHONE, ua: 'friendly-scanner', callId: 'scan-x', cseq: 1 });
    const ch = answer(r1, 401);
    ch.msg.nonce = 'n-42';
    feed(r1, ch);
    assert.equal(blocked(PHONE), false, 'the first packet proves nothing');
    const forged = register({
      at: 141,
      ip: PHONE,
      ua: 'friendly-scanner',
      callId: 'scan-y',
      cseq: 2,
      creds: true,
    });
    forged.msg.nonce = 'guessed';
    feed(forged);
    assert.equal(blocked(PHONE), false, 'a nonce the server never sent proves nothing');
    const real = register({
      at: 142,
      ip: PHONE,
      ua: 'friendly-scanner',
      callId: 'scan-x',
      cseq: 2,
      creds: true,
    });
    real.msg.nonce = 'n-42';
    feed(real);
    assert.equal(blocked(PHONE), true);
  });

  it("a trunk that answered the server's own REGISTER is proven; a forged scan in its name is not blocked", () => {
    const { feed, blocked, alerts } = setup();
    const out = register({
      at: 100,
      ip: SERVER,
      dst: TRUNK,
      sport: 5060,
      dport: 5060,
      ua: 'Asterisk PBX 20',
    });
    feed(out, ok200(out));
    feed(scan(TRUNK, 120));
    assert.equal(blocked(TRUNK), false);
    assert.equal(alerts[0]?.ip, TRUNK);
    // A 200 the server never asked for proves nothing.
    const { feed: feed2, blocked: blocked2 } = setup();
    const fake = ok200(register({ at: 100, ip: SERVER, dst: STRANGER, sport: 5060, dport: 5060 }));
    feed2(fake, scan(STRANGER, 120));
    assert.equal(blocked2(STRANGER), true);
  });

  it('a protected peer (the resolver) is never blocked, not even by failed passwords: alerts instead', () => {
    const { feed, blocked, alerts } = setup([RESOLVER]);
    feed(scan(RESOLVER, 100));
    for (let i = 0; i < 5; i++) feed(...crackAttempt(RESOLVER, '100', 200 + i));
    assert.equal(blocked(RESOLVER), false);
    assert.ok(alerts.length >= 1 && alerts.every((a) => a.kind === 'shielded' && a.ip === RESOLVER));
  });

  it('a flood in the name of a proven phone is held back too', () => {
    const { feed, blocked, alerts } = setup([], { detection: detection({ floodRate: 100 }) });
    feed(...phoneRegistration(PHONE, '100', 100));
    for (let i = 0; i < 3000; i++)
      feed(options({ at: 110 + i * 0.001, ip: PHONE, ua: 'Yealink', callId: `f${i}` }));
    assert.equal(blocked(PHONE), false);
    assert.ok(alerts.some((a) => /a flood/.test(a.text)));
    for (let i = 0; i < 3000; i++)
      feed(options({ at: 120 + i * 0.001, ip: STRANGER, ua: 'Yealink', callId: `s${i}` }));
    assert.equal(blocked(STRANGER), true, 'the same flood from an unproven address blocks');
  });
});
