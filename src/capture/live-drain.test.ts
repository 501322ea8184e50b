/**
 * The live capture's side of the ring (live.ts), against a ring in memory written in the
 * addon's record format (native/src/capture.c): frames come out in order and whole, the
 * ring's wrap is followed, and a long backlog is read in slices with the event loop's
 * timers and I/O between them — never in one stretch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUDGET_MS, type NativeCapture, PcapLiveCapture } from './live.js';

const HDR = 16;
const WRAP = 0xffffffff;

/** The addon's ring protocol in JavaScript: `put` is the capture thread writing a frame. */
function memoryRing(size: number) {
  const buf = new ArrayBuffer(size);
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  let head = 0;
  let tail = 0;
  let armed = true;
  let wake: (() => void) | null = null;
  let released = 0;
  const native: NativeCapture = {
    captureOpen: () => ({ handle: {}, ring: buf, linkType: 1 }),
    captureStart: (_h, onReady) => {
      wake = onReady;
    },
    captureReadable: () => {
      if (head === tail) {
        armed = true;
        return 0;
      }
      const pos = tail % size;
      return Math.min(head - tail, size - pos);
    },
    capturePosition: () => tail % size,
    captureRelease: (_h, n) => {
      tail += n;
      released += n;
    },
    captureStats: () => ({
      received: 0,
      dropped: 0,
      ifDropped: 0,
      ringDrops: 0,
      frames: 0,
      ringHighWater: 0,
      ringSize: size,
    }),
    captureError: () => null,
    captureClose: () => undefined,
  };
  return {
    native,
    get released() {
      return released;
    },
    /** Writes one frame (false when the ring is full); wakes the reader when it waits. */
    put(frame: Uint8Array, seconds: number): boolean {
      const need = (HDR + frame.length + 7) & ~7;
      let pos = head % size;
      const skip = size - pos < need ? size - pos : 0;
      if (head + skip + need - tail > size) return false;
      if (skip > 0) {
        view.setUint32(pos, WRAP, true);
        head += skip;
        pos = 0;
      }
      view.setUint32(pos, frame.length, true);
      view.setUint32(pos + 4, frame.length, true);
      view.setUint32(pos + 8, seconds, true);
      view.setUint32(pos + 12, 0, true);
      bytes.set(frame, pos + HDR);
      head += need;
      return true;
    },
    notify() {
      if (armed && wake) {
        armed = false;
        wake();
      }
    },
  };
}

const frameOf = (i: number) => {
  const f = new Uint8Array(60 + (i % 40));
  new DataView(f.buffer).setUint32(0, i);
  return f;
};

test('live drain: a backlog of frames is read in slices, with turns of the loop between them', async () => {
  const ring = memoryRing(1 << 20);
  const N = 600;
  for (let i = 0; i < N; i++) assert.ok(ring.put(frameOf(i), 1000 + i));
  const seen: number[] = [];
  // A slow frame each (a block whose kernel call is slow under load, a GC): 0.4 ms on a
  // clock turned by hand, so the slices don't depend on how busy the machine is.
  const cost = 0.4;
  let mono = 0;
  const cap = new PcapLiveCapture(['eth-test'], '', { native: ring.native, monotonic: () => mono });
  // A chain of turns of the loop beside the drain: the frames between two of its links
  // are one slice. A drain that never yields would give one link for all 600.
  let sinceTurn = 0;
  let most = 0;
  let turns = 0;
  let done = false;
  const link = () => {
    turns++;
    most = Math.max(most, sinceTurn);
    sinceTurn = 0;
    if (!done) setImmediate(link);
  };
  const all = new Promise<void>((resolve) => {
    cap.start((_link, at, frame) => {
      mono += cost;
      seen.push(new DataView(frame.buffer, frame.byteOffset).getUint32(0));
      assert.equal(at, 1000 + seen.at(-1)!);
      sinceTurn++;
      if (seen.length === N) resolve();
    });
  });
  setImmediate(link);
  ring.notify();
  await all;
  done = true;
  cap.stop();
  most = Math.max(most, sinceTurn);
  assert.deepEqual(
    seen,
    Array.from({ length: N }, (_, i) => i),
  );
  // A slice is BUDGET_MS of frames and one more: at 0.4 ms a frame, 6 (reading the clock
  // every 32 frames ran 32 slow frames, 13 ms, before anything else could run).
  const slice = Math.floor(BUDGET_MS / cost) + 1;
  assert.ok(most <= slice, `${most} frames in one slice`);
  assert.ok(turns >= N / slice - 1, `the loop turned ${turns} times`);
});

test('live drain: frames across the ring end (wrap) arrive whole and in order, and the ring is released', async () => {
  const size = 4096;
  const ring = memoryRing(size);
  const seen: number[] = [];
  const cap = new PcapLiveCapture(['eth-test'], '', { native: ring.native });
  let want = 0;
  let wake: () => void = () => undefined;
  cap.start((_l, _at, frame) => {
    assert.equal(frame.length, 60 + (seen.length % 40));
    seen.push(new DataView(frame.buffer, frame.byteOffset).getUint32(0));
    if (seen.length === want) wake();
  });
  // 500 frames in rounds of 25: the ring (4 KiB) wraps many times.
  let i = 0;
  for (let round = 0; round < 20; round++) {
    want += 25;
    const got = new Promise<void>((r) => {
      wake = r;
    });
    for (let k = 0; k < 25; k++) assert.ok(ring.put(frameOf(i++), 1));
    ring.notify();
    await got;
  }
  cap.stop();
  assert.deepEqual(
    seen,
    Array.from({ length: 500 }, (_, k) => k),
  );
  assert.ok(ring.released > size * 4, `released ${ring.released} bytes`);
});

test('live drain: a frame the pipeline throws on is reported and the frames after it still come', async () => {
  const ring = memoryRing(1 << 16);
  for (let i = 0; i < 10; i++) ring.put(frameOf(i), 1);
  const errors: Error[] = [];
  const seen: number[] = [];
  const cap = new PcapLiveCapture(['eth-test'], '', { native: ring.native, onError: (e) => errors.push(e) });
  const done = new Promise<void>((resolve) => {
    cap.start((_l, _at, frame) => {
      const n = new DataView(frame.buffer, frame.byteOffset).getUint32(0);
      seen.push(n);
      if (n === 3) throw new Error('choked');
      if (n === 9) resolve();
    });
  });
  ring.notify();
  await done;
  cap.stop();
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(
    errors.map((e) => e.message),
    ['choked'],
  );
});
