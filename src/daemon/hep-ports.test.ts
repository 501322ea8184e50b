import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Decoder } from '../core/packet/decoder.js';
import { hep3, sipRequest, sipResponse } from '../core/packet/packets.testkit.js';
import type { SipEvent } from '../core/types.js';
import type { Logger } from '../ports/logger.js';
import { HepPortNotice } from './hep-ports.js';

const PBX = '192.0.2.1';
const SIP_PORTS = [
  { from: 5060, to: 5061 },
  { from: 4443, to: 4443 },
];

function logger(): { warnings: Array<{ obj: Record<string, unknown>; msg: string }>; log: Logger } {
  const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const none = () => undefined;
  const log: Logger = {
    info: none,
    debug: none,
    error: none,
    warn: (obj: Record<string, unknown>, msg = '') => void warnings.push({ obj, msg }),
    child: () => log,
  } as Logger;
  return { warnings, log };
}

/** What the real decoder makes of a mirrored message. */
function mirrored(src: string, sport: number, dst: string, dport: number, payload: Uint8Array): SipEvent {
  const d = new Decoder({ sipPorts: SIP_PORTS, protocols: ['udp', 'tcp'] });
  const [ev] = d.pushHep(hep3({ src, sport, dst, dport, ipProto: 6, payload }), { at: 1000 });
  assert.ok(ev, 'the decoder took the HEP packet');
  return ev;
}

describe('HepPortNotice: mirrored requests to a port not in SIP_PORTS are said, not silently ignored', () => {
  it('warns once naming the port and the fix; again after an hour with the count ignored meanwhile', () => {
    const { warnings, log } = logger();
    const n = new HepPortNotice(SIP_PORTS, new Set([PBX]), log);
    const ws = mirrored('203.0.113.9', 51000, PBX, 8080, sipRequest({ user: '100' }));
    n.seen(ws, 1000);
    n.seen(ws, 1001);
    n.seen(ws, 2000);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.msg, /port 8080 .*not in SIP_PORTS.*add it to SIP_PORTS/);
    assert.deepEqual(warnings[0]!.obj, { port: 8080, ignored: 1 });
    n.seen(ws, 1000 + 3600);
    assert.equal(warnings.length, 2);
    assert.deepEqual(warnings[1]!.obj, { port: 8080, ignored: 3 });
  });

  it('says nothing for SIP ports, answers, or requests the server itself sends to a client', () => {
    const { warnings, log } = logger();
    const n = new HepPortNotice(SIP_PORTS, new Set([PBX]), log);
    n.seen(mirrored('203.0.113.9', 51000, PBX, 4443, sipRequest()), 1000);
    n.seen(mirrored('203.0.113.9', 51000, PBX, 5061, sipRequest()), 1000);
    n.seen(mirrored(PBX, 8080, '203.0.113.9', 51000, sipResponse({ status: 401 })), 1000);
    n.seen(mirrored(PBX, 8080, '203.0.113.9', 51000, sipRequest({ method: 'INVITE' })), 1000);
    assert.deepEqual(warnings, []);
  });

  it('remembers a bounded number of ports: a port scan through the mirror cannot flood the log', () => {
    const { warnings, log } = logger();
    const n = new HepPortNotice(SIP_PORTS, new Set([PBX]), log);
    for (let port = 10_000; port < 10_500; port++)
      n.seen(mirrored('203.0.113.9', 51000, PBX, port, sipRequest()), 1000);
    assert.equal(warnings.length, 16);
  });
});
