/**
 * A binary min-heap of items by a numeric key: expiry in O(log n), no scan of all blocks
 * (held.ts: one entry per running block and per renewal due).
 *
 * It grows in steps (issue 13, target 4: event-loop lag ≤ 5 ms in a flood): keys and
 * items live in chunks of CHUNK entries, added (and dropped) one at a time, never copied.
 * As two JS arrays the heap was copied whole whenever V8 grew their backing stores (×1.5:
 * 16 MB at a million blocks); the keys are now doubles in typed chunks outside the JS heap,
 * which scavenges do not copy either.
 */
const SHIFT = 12;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

export class MinHeap<T> {
  private readonly keyC: Float64Array[] = [];
  private readonly itemC: (T | undefined)[][] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  /** Chunks held (tests: they follow the size). */
  get chunks(): number {
    return this.keyC.length;
  }

  /** The smallest key, or +Infinity when empty. */
  peekKey(): number {
    return this.n > 0 ? this.keyC[0]![0]! : Number.POSITIVE_INFINITY;
  }

  push(key: number, item: T): void {
    let i = this.n++;
    if (i >>> SHIFT === this.keyC.length) {
      this.keyC.push(new Float64Array(CHUNK));
      this.itemC.push(new Array<T | undefined>(CHUNK).fill(undefined));
    }
    const keyC = this.keyC;
    const itemC = this.itemC;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keyC[p >>> SHIFT]![p & MASK]!;
      if (pk <= key) break;
      keyC[i >>> SHIFT]![i & MASK] = pk;
      itemC[i >>> SHIFT]![i & MASK] = itemC[p >>> SHIFT]![p & MASK];
      i = p;
    }
    keyC[i >>> SHIFT]![i & MASK] = key;
    itemC[i >>> SHIFT]![i & MASK] = item;
  }

  /** Removes and returns the item with the smallest key (undefined when empty). */
  pop(): T | undefined {
    if (this.n === 0) return undefined;
    const keyC = this.keyC;
    const itemC = this.itemC;
    const top = itemC[0]![0];
    const n = --this.n;
    const lastKey = keyC[n >>> SHIFT]![n & MASK]!;
    const lastItem = itemC[n >>> SHIFT]![n & MASK];
    itemC[n >>> SHIFT]![n & MASK] = undefined;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let ck = keyC[l >>> SHIFT]![l & MASK]!;
        if (r < n) {
          const rk = keyC[r >>> SHIFT]![r & MASK]!;
          if (rk < ck) {
            c = r;
            ck = rk;
          }
        }
        if (ck >= lastKey) break;
        keyC[i >>> SHIFT]![i & MASK] = ck;
        itemC[i >>> SHIFT]![i & MASK] = itemC[c >>> SHIFT]![c & MASK];
        i = c;
      }
      keyC[i >>> SHIFT]![i & MASK] = lastKey;
      itemC[i >>> SHIFT]![i & MASK] = lastItem;
    }
    // One spare chunk is kept past the last one used, so a size going back and forth
    // across a chunk's edge does not make and drop a chunk each time.
    if (keyC.length > (n >>> SHIFT) + 2) {
      keyC.pop();
      itemC.pop();
    }
    return top;
  }
}
