import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isSipprotError } from '../core/errors.js';
import {
  bytes,
  type CaptureFrame,
  concat,
  ethernetUdp4,
  sipRequest,
  sll2,
  udpPacket,
  writePcap,
  writePcapng,
} from '../core/packet/packets.testkit.js';
import { type CaptureRecord, readCapture, readCaptureBatches, readCaptureChunks } from './pcap-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sipprot-pcap-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(data: Uint8Array | string): string {
  const p = join(dir, `f${n++}.cap`);
  writeFileSync(p, data);
  return p;
}

async function readAll(path: string, chunkSize?: number): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const r of readCapture(path, { chunkSize })) out.push(r);
  return out;
}

/** Records read before the error, and the error. */
async function readUntilError(path: string): Promise<{ got: CaptureRecord[]; err: unknown }> {
  const got: CaptureRecord[] = [];
  try {
    for await (const r of readCapture(path, { chunkSize: 64 })) got.push(r);
  } catch (err) {
    return { got, err };
  }
  return { got, err: null };
}

const frames: CaptureFrame[] = Array.from({ length: 25 }, (_, i) => ({
  at: 1700000000 + i * 0.125 + 0.000001 * i,
  frame: ethernetUdp4(`192.0.2.${i + 1}`, 5060, '198.51.100.1', 5060, sipRequest({ callId: `c${i}` })),
}));

function sameRecords(got: CaptureRecord[], want: CaptureFrame[], linkType = 1) {
  assert.equal(got.length, want.length);
  got.forEach((r, i) => {
    assert.equal(r.linkType, linkType);
    assert.ok(Math.abs(r.at - want[i]!.at) < 1e-6, `time ${r.at} vs ${want[i]!.at}`);
    assert.deepEqual(r.frame, want[i]!.frame);
  });
}

describe('readCapture: pcap', () => {
  for (const bigEndian of [false, true]) {
    for (const nano of [false, true]) {
      it(`${bigEndian ? 'big' : 'little'}-endian, ${nano ? 'nano' : 'micro'}seconds`, async () => {
        const p = file(writePcap(frames, { bigEndian, nano, linkType: 1 }));
        sameRecords(await readAll(p), frames);
      });
    }
  }

  it('gives the same records whatever the chunk size (records straddle chunks)', async () => {
    const p = file(writePcap(frames));
    for (const size of [1, 7, 100, 1000]) sameRecords(await readAll(p, size), frames);
  });

  it('reads the modified (Kuznetzov) format and masks FCS bits of the link type', async () => {
    const std = writePcap(frames.slice(0, 2), { linkType: 113 | 0x14000000 });
    // magic a1b2cd34: record headers gain 8 bytes (ifindex, protocol, pkt_type, pad)
    const parts: Uint8Array[] = [std.subarray(0, 24)];
    parts[0] = parts[0]!.slice();
    new DataView(parts[0]!.buffer).setUint32(0, 0xa1b2cd34, true);
    let o = 24;
    for (const f of frames.slice(0, 2)) {
      parts.push(std.subarray(o, o + 16), new Uint8Array(8), f.frame);
      o += 16 + f.frame.length;
    }
    const got = await readAll(file(concat(...parts)));
    assert.equal(got.length, 2);
    assert.equal(got[0]!.linkType, 113);
    assert.deepEqual(got[1]!.frame, frames[1]!.frame);
  });

  it('streams: frames are views into chunk-sized buffers, never the whole file', async () => {
    const many: CaptureFrame[] = [];
    for (let i = 0; i < 20000; i++) many.push(frames[i % frames.length]!);
    const data = writePcap(many); // ~13 MB
    const p = file(data);
    const chunkSize = 256 * 1024;
    let count = 0;
    let batches = 0;
    let largest = 0;
    for await (const batch of readCaptureBatches(p, { chunkSize })) {
      batches++;
      for (const r of batch) {
        count++;
        largest = Math.max(largest, r.frame.buffer.byteLength);
      }
    }
    assert.equal(count, 20000);
    assert.ok(batches >= data.length / chunkSize - 1, `${batches} batches`);
    assert.ok(largest <= 2 * chunkSize, `largest backing buffer ${largest} bytes`);
  });

  it('reads the same records into one reused buffer (replay), records larger than a chunk too', async () => {
    // Frames of 60-3000 bytes, chunks of 64 bytes to 8 KiB: rests of every length are moved
    // to the front of the one buffer, and a record larger than it grows it.
    const sized: CaptureFrame[] = Array.from({ length: 300 }, (_, i) => ({
      at: 1700000000 + i,
      frame: ethernetUdp4(
        '192.0.2.1',
        5060,
        '198.51.100.1',
        5060,
        sipRequest({ callId: 'x'.repeat((i * 37) % 2900) }),
      ),
    }));
    const p = file(writePcap(sized));
    for (const chunkSize of [64, 700, 1500, 4096, 8192]) {
      const got: Uint8Array[] = [];
      const buffers = new Set<ArrayBufferLike>();
      for await (const { buf, records: r } of readCaptureChunks(p, { chunkSize, reuse: true })) {
        buffers.add(buf.buffer);
        for (let i = 0; i < r.count; i++) got.push(buf.slice(r.start[i]!, r.end[i]!));
      }
      assert.equal(got.length, sized.length, `chunk ${chunkSize}`);
      for (let i = 0; i < got.length; i++)
        assert.deepEqual(got[i], sized[i]!.frame, `chunk ${chunkSize}, record ${i}`);
      // One buffer, doubled only while records outgrow it (not one per chunk or per record).
      const most = chunkSize >= 8192 ? 1 : 2 + Math.ceil(Math.log2(8192 / chunkSize));
      assert.ok(buffers.size <= most, `chunk ${chunkSize}: ${buffers.size} buffers`);
    }
  });

  it('reads gzip-compressed captures', async () => {
    sameRecords(await readAll(file(gzipSync(writePcap(frames)))), frames);
  });

  it('closes the file when the reader stops early (plain and gzip)', async () => {
    // Big enough (~1 MB, random-ish gzip) that the reader is mid-file when it stops.
    const many: CaptureFrame[] = [];
    for (let i = 0; i < 1600; i++) many.push(frames[i % frames.length]!);
    const plain = file(writePcap(many));
    const gz = file(gzipSync(writePcap(many), { level: 0 }));
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 30; i++) {
      for (const p of [plain, gz]) {
        for await (const r of readCapture(p, { chunkSize: 256 })) if (r) break;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
    // A leak is one descriptor per early stop: 30 here. Allow a little unrelated churn.
    assert.ok(open() - before < 5, `${open() - before} more open descriptors after 60 early stops`);
  });
});

describe('readCapture: pcapng', () => {
  for (const bigEndian of [false, true]) {
    it(`${bigEndian ? 'big' : 'little'}-endian, several interfaces and resolutions`, async () => {
      const recs: CaptureFrame[] = frames.map((f, i) => ({
        ...f,
        iface: i % 3,
        frame: i % 3 === 1 ? sll2(f.frame.subarray(14)) : f.frame,
      }));
      const p = file(
        writePcapng(recs, {
          bigEndian,
          interfaces: [{ linkType: 1 }, { linkType: 276, tsresol: 9 }, { linkType: 1, tsresol: 0x80 | 20 }],
          extraBlocks: [
            { type: 0x00000bad, body: bytes('custom') },
            { type: 4, body: new Uint8Array(8) },
          ],
        }),
      );
      const got = await readAll(p, 50);
      assert.equal(got.length, recs.length);
      got.forEach((r, i) => {
        assert.equal(r.iface, i % 3);
        assert.equal(r.linkType, i % 3 === 1 ? 276 : 1);
        assert.ok(Math.abs(r.at - recs[i]!.at) < 2e-6, `${r.at} vs ${recs[i]!.at}`);
        assert.deepEqual(r.frame, recs[i]!.frame);
      });
    });
  }

  it('applies if_tsoffset', async () => {
    const p = file(writePcapng(frames.slice(0, 1), { interfaces: [{ linkType: 1, tsoffset: 3600 }] }));
    const [r] = await readAll(p);
    assert.ok(Math.abs(r!.at - frames[0]!.at) < 1e-6);
  });

  it('reads Simple Packet Blocks', async () => {
    const got = await readAll(file(writePcapng(frames.slice(0, 3), { simple: true })));
    assert.equal(got.length, 3);
    assert.deepEqual(got[2]!.frame, frames[2]!.frame);
  });

  it('reads several sections of different byte orders', async () => {
    const a = writePcapng(frames.slice(0, 2), { interfaces: [{ linkType: 1 }] });
    const b = writePcapng(frames.slice(2, 4), { bigEndian: true, interfaces: [{ linkType: 101 }] });
    const got = await readAll(file(concat(a, b)), 33);
    assert.deepEqual(
      got.map((r) => r.linkType),
      [1, 1, 101, 101],
    );
  });
});

describe('readCapture: errors', () => {
  const code = (e: unknown) => (isSipprotError(e) ? e.code : String(e));

  it('names a file that is neither pcap nor pcapng', async () => {
    for (const content of ['hello world, not a capture', '', 'ab']) {
      const p = file(content);
      const { got, err } = await readUntilError(p);
      assert.equal(got.length, 0);
      assert.equal(code(err), 'SP_ERR_PCAP_FORMAT');
      assert.ok((err as Error).message.startsWith(`${p}: `), (err as Error).message);
    }
    const { err } = await readUntilError(file('hello world'));
    assert.match((err as Error).message, /not a pcap or pcapng file \(starts with 68 65 6c 6c\)/);
  });

  it('yields the good records, then reports a corrupt record with its offset', async () => {
    const good = writePcap(frames.slice(0, 5));
    const bad = writePcap(frames.slice(0, 6));
    new DataView(bad.buffer).setUint32(good.length + 8, 0x7fffffff, true); // 6th record's incl_len
    const { got, err } = await readUntilError(file(bad));
    assert.equal(got.length, 5);
    assert.equal(code(err), 'SP_ERR_PCAP_FORMAT');
    assert.match((err as Error).message, new RegExp(`at byte ${good.length}\\)`));
  });

  it('reports a truncated last record after the good ones', async () => {
    const all = writePcap(frames.slice(0, 4));
    const { got, err } = await readUntilError(file(all.subarray(0, all.length - 10)));
    assert.equal(got.length, 3);
    assert.match((err as Error).message, /truncated/);
  });

  it('reports a pcapng block whose trailing length is wrong', async () => {
    const ng = writePcapng(frames.slice(0, 3));
    const last = ng.length - 4;
    new DataView(ng.buffer).setUint32(last, 12345, true);
    const { got, err } = await readUntilError(file(ng));
    assert.equal(got.length, 2);
    assert.match((err as Error).message, /trailing length/);
  });

  it('reports a packet block for an interface that was never declared', async () => {
    const ng = writePcapng(
      frames.slice(0, 2).map((f) => ({ ...f, iface: 1 })),
      {
        interfaces: [{ linkType: 1 }, { linkType: 1 }],
      },
    );
    // drop the second IDB (20 bytes after the 28-byte SHB and the first 20-byte IDB)
    const cut = concat(ng.subarray(0, 48), ng.subarray(68));
    const { err } = await readUntilError(file(cut));
    assert.match((err as Error).message, /undeclared interface 1/);
  });

  it('reports corrupt gzip data', async () => {
    const z = gzipSync(writePcap(frames));
    const { err } = await readUntilError(file(z.subarray(0, z.length >> 1)));
    assert.equal(code(err), 'SP_ERR_PCAP_FORMAT');
  });

  it('says when the file cannot be read', async () => {
    const { err } = await readUntilError(join(dir, 'missing.pcap'));
    assert.equal(code(err), 'SP_ERR_CAPTURE');
    assert.match((err as Error).message, /missing\.pcap: cannot read the capture file: .*ENOENT/);
  });

  it('does not mistake a raw-IP frame file for anything', async () => {
    const raw = file(udpPacket('192.0.2.1', 5060, '192.0.2.2', 5060, sipRequest()));
    const { err } = await readUntilError(raw);
    assert.equal(code(err), 'SP_ERR_PCAP_FORMAT');
  });
});
