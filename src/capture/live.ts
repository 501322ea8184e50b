/**
 * Live capture with libpcap on each configured interface, through sipprot's own addon
 * (native/src/capture.c): a thread per interface blocks in libpcap (immediate mode: a
 * packet is handed over as it arrives, which is what blocking within milliseconds needs)
 * and copies every frame into a 64 MiB ring in user memory; this side reads the ring in
 * place, in batches, when woken.
 *
 * Why not node-pcap's callback per packet (what this replaced): it read only while the
 * event loop was free, and the kernel ring it reads holds 512 frames (3.4 ms at 150k
 * packets/s), so every pause longer than that — a GC, a store commit — lost packets (2–8%
 * at 20k–50k/s in bench/live). The thread empties the kernel ring within microseconds;
 * the user ring absorbs ~90k frames (0.6 s at 150k/s) of stall.
 *
 * The event loop is never held longer than BUDGET_MS (+ one frame) by capture: the clock
 * is read after every frame (~30 ns against ~5-15 µs to judge one), and a batch that takes
 * longer yields (setImmediate) and goes on after timers and I/O had their turn. Reading the
 * clock only every 32 frames let a slice run 32 slow frames (blocks whose kernel call takes
 * ~100 µs under load, a frame that met a GC): 3-20 ms of loop held; the ring keeps what is
 * not read yet, and an overrun ring drops (counted, in status) instead of stalling the loop.
 *
 * The capture thread asks for nice -10 (capture.c); the kernel refuses without CAP_SYS_NICE
 * or an RLIMIT_NICE that allows it (a unit without LimitNICE, a container). What it got is
 * in stats().priority, for status, /metrics and the start's log line: under load a thread
 * at nice 0 waits for a core while the kernel's ring fills.
 */
import { createRequire } from 'node:module';
import { SipprotError } from '../core/errors.js';

/** A captured frame; `frame` is only valid during the callback (the ring is reused). */
export type FrameHandler = (linkType: number, at: number, frame: Uint8Array) => void;

export interface CaptureStats {
  received: number;
  /** Dropped by the kernel because we did not read fast enough. */
  dropped: number;
  /** Dropped by the interface/driver. */
  ifDropped: number;
  /** Dropped because the user ring was full (the decoder fell behind for too long). */
  ringDrops: number;
  /** The fullest the user ring has been, in bytes (of `ringSize`). */
  ringHighWater: number;
  ringSize: number;
  /**
   * The capture threads' priority (the worst of them): the nice a thread has, the one it
   * asked for, and why the kernel refused (null: granted); null before a thread has tried.
   */
  priority: CapturePriority | null;
}

export interface CapturePriority {
  nice: number;
  wanted: number;
  /** The refusal, e.g. "Permission denied" (null: the thread has the nice it asked for). */
  error: string | null;
}

/** The addon's capture calls (native/src/addon.c); tests hand in a ring of their own. */
export interface NativeStats {
  received: number;
  dropped: number;
  ifDropped: number;
  ringDrops: number;
  frames: number;
  ringHighWater: number;
  ringSize: number;
  /** The thread's nice once it has tried to set it (null before; absent from test rings). */
  nice?: number | null;
  niceWanted?: number;
  niceError?: string | null;
}
type Handle = object;
export interface NativeCapture {
  captureOpen(
    device: string,
    filter: string,
    snaplen: number,
    kernelBuffer: number,
    ringBytes: number,
  ): { handle: Handle; ring: ArrayBuffer; linkType: number };
  captureStart(h: Handle, onReady: () => void): void;
  captureReadable(h: Handle): number;
  capturePosition(h: Handle): number;
  captureRelease(h: Handle, bytes: number): void;
  captureStats(h: Handle): NativeStats;
  captureError(h: Handle): string | null;
  captureClose(h: Handle): void;
}

export interface LiveCaptureOptions {
  /** libpcap's ring in the kernel (bytes). */
  kernelBuffer?: number;
  /** The ring in user memory the capture thread fills (bytes). */
  ringBytes?: number;
  /** Told when a capture thread stops on an error (interface gone, ...). */
  onError?: (e: Error) => void;
  /** The addon (tests: a ring in memory behind the same calls). */
  native?: NativeCapture;
  /** Milliseconds on a monotonic clock for BUDGET_MS (performance.now; tests turn it by hand). */
  monotonic?: () => number;
}

const SNAPLEN = 65535;
/**
 * libpcap's ring in the kernel. With the 64 KiB snap length (TCP segments merged by GRO
 * reach 64 KiB: a shorter snap length would cut them, and an attacker could hide in the
 * cut) each frame slot is 64 KiB: 32 MiB held 512 frames, and on this 2-core machine
 * under load (load average 10–13) bursts from tcpreplay at 30k packets/s still lost
 * 1–4% in the kernel before the capture thread ran; 64 MiB 0–2%, 128 MiB none in every
 * run (bench/RESULTS.md). The thread empties it within microseconds when it can run.
 */
const KERNEL_RING = 128 * 1024 * 1024;
const RECORD_HEADER = 16;
const WRAP = 0xffffffff;
/** Longest stretch the event loop spends reading frames before it yields. */
export const BUDGET_MS = 2;

interface Session {
  iface: string;
  handle: Handle;
  linkType: number;
  ring: Uint8Array;
  words: Uint32Array;
  size: number;
  closed: boolean;
}

export class PcapLiveCapture {
  private readonly sessions: Session[] = [];
  private onFrame: FrameHandler = () => undefined;
  private readonly kernelBuffer: number;
  private readonly ringBytes: number;
  /** Counters of sessions that stopped, so status never counts backwards after a reopen. */
  private readonly retired: CaptureStats = zeroStats();
  private readonly stopped = new Set<string>();
  private readonly now: () => number;

  constructor(
    private readonly interfaces: string[],
    private readonly filter: string,
    private readonly opts: LiveCaptureOptions = {},
  ) {
    // KERNEL_RING in all, at least 32 MiB an interface (see KERNEL_RING).
    const share = Math.floor(KERNEL_RING / Math.max(1, interfaces.length));
    this.kernelBuffer = opts.kernelBuffer ?? Math.max(32 * 1024 * 1024, share);
    this.ringBytes = opts.ringBytes ?? 64 * 1024 * 1024;
    this.now = opts.monotonic ?? (() => performance.now());
  }

  start(onFrame: FrameHandler): void {
    const native = this.native();
    this.onFrame = onFrame;
    for (const iface of this.interfaces) {
      try {
        this.open(native, iface);
      } catch (e) {
        this.stop();
        throw e;
      }
    }
  }

  /** Interfaces whose capture stopped on an error (gone) and has not been reopened. */
  lost(): string[] {
    return [...this.stopped];
  }

  /**
   * Captures on `iface` again after its session stopped on an error: an interface that
   * was deleted and created again (a VPN or VLAN device, a bridge rebuilt, a driver
   * reload) has a new index, so the old socket never sees it. Throws SP_ERR_CAPTURE while
   * the interface is not back; the other interfaces' sessions run on untouched.
   */
  reopen(iface: string): void {
    if (!this.stopped.has(iface)) return;
    this.open(this.native(), iface);
    this.stopped.delete(iface);
  }

  private open(native: NativeCapture, iface: string): void {
    let s: Session;
    try {
      const o = native.captureOpen(iface, this.filter, SNAPLEN, this.kernelBuffer, this.ringBytes);
      s = {
        iface,
        handle: o.handle,
        linkType: o.linkType,
        ring: new Uint8Array(o.ring),
        words: new Uint32Array(o.ring),
        size: o.ring.byteLength,
        closed: false,
      };
      this.sessions.push(s);
      native.captureStart(s.handle, () => this.drain(native, s));
    } catch (e) {
      throw new SipprotError(
        'SP_ERR_CAPTURE',
        `cannot capture on interface "${iface}": ${(e as Error).message} (INTERFACES; capture needs root or CAP_NET_RAW)`,
        { cause: e, details: { iface } },
      );
    }
  }

  /** A session that stopped: its counters are kept, its thread, socket and ring freed. */
  private retire(native: NativeCapture, s: Session): void {
    const n = native.captureStats(s.handle);
    const r = this.retired;
    r.received += n.received;
    r.dropped += n.dropped;
    r.ifDropped += n.ifDropped;
    r.ringDrops += n.ringDrops;
    r.ringHighWater = Math.max(r.ringHighWater, n.ringHighWater);
    native.captureClose(s.handle);
    const i = this.sessions.indexOf(s);
    if (i >= 0) this.sessions.splice(i, 1);
    this.stopped.add(s.iface);
  }

  stats(): CaptureStats {
    const native = this.sessions.length > 0 ? this.native() : null;
    const total: CaptureStats = { ...this.retired };
    for (const s of this.sessions) {
      const n = native!.captureStats(s.handle);
      total.received += n.received;
      total.dropped += n.dropped;
      total.ifDropped += n.ifDropped;
      total.ringDrops += n.ringDrops;
      total.ringHighWater = Math.max(total.ringHighWater, n.ringHighWater);
      total.ringSize += n.ringSize;
      total.priority = worse(total.priority, priorityOf(n));
    }
    return total;
  }

  stop(): void {
    this.stopped.clear();
    if (this.sessions.length === 0) return;
    const native = this.native();
    for (const s of this.sessions.splice(0)) {
      s.closed = true;
      native.captureClose(s.handle);
    }
  }

  /** Reads what the ring holds, for at most BUDGET_MS; the rest after a turn of the loop. */
  private drain(native: NativeCapture, s: Session): void {
    if (s.closed) return;
    const deadline = this.now() + BUDGET_MS;
    let frames = 0;
    try {
      frames = this.drainFor(native, s, deadline);
    } catch (e) {
      // A frame the pipeline choked on must not stop the capture (nothing would wake it).
      setImmediate(() => this.drain(native, s));
      if (this.opts.onError) this.opts.onError(e as Error);
      else throw e;
      return;
    }
    if (frames < 0) {
      setImmediate(() => this.drain(native, s));
      return;
    }
    const err = native.captureError(s.handle);
    if (err !== null && !s.closed) {
      s.closed = true;
      this.retire(native, s);
      this.opts.onError?.(
        new SipprotError('SP_ERR_CAPTURE', `capture on interface "${s.iface}" stopped: ${err}`, {
          details: { iface: s.iface },
        }),
      );
    }
  }

  /** Frames read (the ring is empty and the thread armed), or -1 when the budget ran out. */
  private drainFor(native: NativeCapture, s: Session, deadline: number): number {
    const { ring, words, size, linkType, handle } = s;
    let frames = 0;
    for (;;) {
      const avail = native.captureReadable(handle);
      if (avail === 0) break;
      let pos = native.capturePosition(handle);
      const end = pos + avail;
      let consumed = 0;
      let late = false;
      try {
        while (pos < end) {
          const caplen = words[pos >>> 2]!;
          if (caplen === WRAP) {
            consumed += size - pos;
            break;
          }
          const at = words[(pos >>> 2) + 2]! + words[(pos >>> 2) + 3]! / 1e6;
          const rec = (RECORD_HEADER + caplen + 7) & ~7;
          const start = pos + RECORD_HEADER;
          pos += rec;
          consumed += rec;
          this.onFrame(linkType, at, ring.subarray(start, start + caplen));
          frames++;
          if (this.now() > deadline) {
            late = true;
            break;
          }
        }
      } finally {
        native.captureRelease(handle, consumed);
      }
      if (late) return -1;
    }
    return frames;
  }

  private native(): NativeCapture {
    return this.opts.native ?? loadNative();
  }
}

function zeroStats(): CaptureStats {
  return {
    received: 0,
    dropped: 0,
    ifDropped: 0,
    ringDrops: 0,
    ringHighWater: 0,
    ringSize: 0,
    priority: null,
  };
}

function priorityOf(n: NativeStats): CapturePriority | null {
  if (n.nice === undefined || n.nice === null) return null;
  return { nice: n.nice, wanted: n.niceWanted ?? n.nice, error: n.niceError ?? null };
}

/** The priority further from what was asked (one thread per interface; the same limits). */
function worse(a: CapturePriority | null, b: CapturePriority | null): CapturePriority | null {
  if (a === null || b === null) return a ?? b;
  return b.nice - b.wanted > a.nice - a.wanted ? b : a;
}

let cached: NativeCapture | null = null;

function loadNative(): NativeCapture {
  if (cached) return cached;
  try {
    cached = createRequire(import.meta.url)('sipprot-native') as NativeCapture;
    return cached;
  } catch (e) {
    throw new SipprotError(
      'SP_ERR_CAPTURE',
      `sipprot's capture addon is not available: ${(e as Error).message} (install libpcap-dev, then npm ci)`,
      { cause: e },
    );
  }
}
