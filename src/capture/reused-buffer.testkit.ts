/**
 * Feeds frames to a Decoder the way libpcap does: every frame lands in ONE buffer that is
 * overwritten by the next one. node-pcap hands its callback a view of that buffer, so any
 * byte the decoder keeps past the call (a fragment, an out-of-order TCP segment, a partial
 * message) must be copied. A decoder that keeps a view reads the next packet's bytes: live
 * capture missed fragmented attacks that `replay` (fresh buffers) caught (issue 10 item 11).
 * After each push the buffer is scribbled over, so a kept view shows garbage at once.
 */
import type { Decoder } from '../core/packet/decoder.js';
import type { SipEvent } from '../core/types.js';

export class ReusedBufferFeeder {
  // A Node Buffer, as node-pcap passes: its slice() is a view (Uint8Array's is a copy),
  // which is exactly what hid the bug from tests built on plain Uint8Arrays.
  private readonly shared: Buffer;

  constructor(
    private readonly decoder: Decoder,
    size = 262_144,
  ) {
    this.shared = Buffer.alloc(size);
  }

  push(linkType: number, at: number, frame: Uint8Array): SipEvent[] {
    if (frame.length > this.shared.length)
      throw new Error(`frame of ${frame.length} bytes > ${this.shared.length}`);
    this.shared.set(frame, 0);
    const events = this.decoder.push(linkType, at, this.shared.subarray(0, frame.length));
    // What the next packet would do to the bytes: anything still pointing here now sees 0xA5.
    this.shared.fill(0xa5, 0, frame.length);
    return events;
  }
}
