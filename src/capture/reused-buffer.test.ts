/**
 * Every capture we have, decoded twice: from fresh buffers (as replay reads files) and
 * through one buffer overwritten after every frame (as libpcap hands them to the live
 * daemon). The events must be identical: a decoder that keeps a view of a frame past the
 * call (fragments, TCP segments) shows up here as a missing or garbled message.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Decoder } from '../core/packet/decoder.js';
import { buildIpv4Fragments, buildTcpSegments } from '../core/packet/reuse-cases.testkit.js';
import type { SipEvent } from '../core/types.js';
import { readCapture } from './pcap-file.js';
import { ReusedBufferFeeder } from './reused-buffer.testkit.js';

const ROOT = join(import.meta.dirname, '..', '..', 'testdata');

function captures(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(ROOT, 'edge')))
    if (/\.pcap(ng)?$/.test(f)) out.push(join(ROOT, 'edge', f));
  for (const d of readdirSync(join(ROOT, 'golden'), { withFileTypes: true })) {
    if (d.isDirectory()) out.push(join(ROOT, 'golden', d.name, 'capture.pcap'));
  }
  return out;
}

const decoder = () => new Decoder({ sipPorts: [{ from: 1, to: 65535 }], protocols: ['udp', 'tcp'] });
const shape = (events: SipEvent[]) => events.map((e) => JSON.stringify(e));

describe('decoding through a reused capture buffer (libpcap style)', () => {
  for (const path of captures()) {
    it(path.slice(ROOT.length + 1), async () => {
      const fresh = decoder();
      const reused = new ReusedBufferFeeder(decoder());
      const a: SipEvent[] = [];
      const b: SipEvent[] = [];
      for await (const r of readCapture(path)) {
        a.push(...fresh.push(r.linkType, r.at, new Uint8Array(r.frame)));
        b.push(...reused.push(r.linkType, r.at, r.frame));
      }
      assert.ok(a.length > 0, 'the capture holds SIP');
      assert.deepEqual(shape(b), shape(a));
    });
  }

  it('IPv4 fragments of a padded REGISTER (2,445 bytes) come out whole', () => {
    const frames = buildIpv4Fragments(2445, 600);
    assert.ok(frames.length >= 4);
    const reused = new ReusedBufferFeeder(decoder());
    const events = frames.flatMap((f, i) => reused.push(1, 1000 + i / 1000, f));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.msg.method, 'REGISTER');
    assert.equal(events[0]!.msg.userAgent, 'friendly-scanner');
  });

  it('a SIP message over several TCP segments, out of order, comes out whole', () => {
    // 500-byte pieces: the held (out-of-order) one carries the Call-ID and User-Agent.
    const segments = buildTcpSegments(1800, 500, true);
    const reused = new ReusedBufferFeeder(decoder());
    const events = segments.flatMap((f, i) => reused.push(1, 1000 + i / 1000, f));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.msg.userAgent, 'friendly-scanner');
    assert.equal(events[0]!.msg.callId, 'reuse-call-1');
  });
});
