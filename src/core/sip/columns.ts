/**
 * The request table's column copies when it doubles (match.ts's grow): native copies
 * (TypedArray#set, Array#slice/concat/fill), no loop per slot. grow() runs a dozen times
 * a process and never warm, so a slot-by-slot loop runs unoptimised: 25-55 ms of CPU at
 * 131,072 requests before, ~13 ms with these (most of it the kernel's page faults for
 * the new memory and the index rebuild).
 */
/** `a` copied into the front of the larger `b` (same slot numbers). */
export function widenI<T extends Int32Array | Uint16Array | Uint8Array>(a: T, b: T): T {
  b.set(a);
  return b;
}

export function widenF(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

/** A JS column lengthened in place to `cap` slots, the new ones `fill`. */
export function widenA<T>(a: T[], cap: number, fill: T): void {
  const n = a.length;
  a.length = cap;
  a.fill(fill, n);
}

/** `a` (a full ring starting at `head`) into the front of the larger `b`, oldest first. */
export function rotateI<T extends Int32Array | Uint16Array | Uint8Array>(a: T, head: number, b: T): T {
  b.set(a.subarray(head));
  b.set(a.subarray(0, head), a.length - head);
  return b;
}

export function rotateF(a: Float64Array, head: number, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a.subarray(head));
  b.set(a.subarray(0, head), a.length - head);
  return b;
}

export function rotateA<T>(a: T[], head: number, cap: number, fill: T): T[] {
  const b = a.slice(head).concat(a.slice(0, head));
  widenA(b, cap, fill);
  return b;
}
