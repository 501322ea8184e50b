/**
 * How the kernel watch (kernel-watch.ts) reads the kernel, and the netlink way of doing
 * it: a rule dump per chain and the event thread of native/src/nft-watch.c, which drops
 * set element events (three per block) in C. The nft CLI way, for when the addon cannot
 * be loaded: kernel-watch-nft.ts.
 */
import { type NftNetlink, type NftWatch, WATCH_CHANGED, WATCH_FAILED, WATCH_OVERRUN } from './nft-netlink.js';

/** One chain as the probe found it; `unknown`: no answer (the warning says why). */
export type ChainFinding =
  | { kind: 'rules'; lookups: number }
  | { kind: 'gone'; detail: string }
  | { kind: 'unknown'; why: string };

/** How the watch reads the kernel: netlink (NetlinkProbe) or the nft CLI (NftCliProbe). */
export interface WatchProbe {
  /** Chain `chain` of our table: its rules that look up set `set`, or gone, or no answer. */
  chain(chain: string, set: string): Promise<ChainFinding>;
  /**
   * Starts reporting: `changed()` when a table, chain, rule or set of our table was
   * deleted or events were lost; `ended(why)` when the source stopped (the watch starts
   * it again later). Returns what stops it.
   */
  monitor(changed: () => void, ended: (why: string) => void): () => void;
}

/** The watch over netlink: a rule dump per chain, and the event thread of nft-watch.c. */
export class NetlinkProbe implements WatchProbe {
  constructor(private readonly netlink: NftNetlink) {}

  async chain(chain: string, set: string): Promise<ChainFinding> {
    try {
      const r = this.netlink.chainRules(chain, set);
      return r
        ? { kind: 'rules', lookups: r.lookups }
        : { kind: 'gone', detail: 'No such file or directory' };
    } catch (e) {
      return { kind: 'unknown', why: (e as Error).message };
    }
  }

  /** The event thread of the last monitor() (tests read its counts). */
  current: NftWatch | null = null;

  monitor(changed: () => void, ended: (why: string) => void): () => void {
    const w = this.netlink.watch((bits) => {
      if (bits & (WATCH_CHANGED | WATCH_OVERRUN)) changed();
      if (bits & WATCH_FAILED) ended('the nftables event socket failed');
    });
    this.current = w;
    return () => w.stop();
  }
}
