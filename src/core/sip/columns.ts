/**
 * The request table's column copies when it doubles (match.ts's grow): native copies
 * (TypedArray#set, Array#slice/concat/fill), no loop per slot. grow() runs a dozen times
 * a process and never warm, so a slot-by-slot loop runs unoptimised: 25-55 ms of CPU at
 * 131,072 requests before, ~13 ms with these (most of it the kernel's page faults for
 * the new memory and the index rebuild).
 */
export type TypedColumn = Float64Array | Int32Array | Uint16Array | Uint8Array;

/** A typed column of the same kind as `a`, `cap` slots, zeroed. */
function sameKind<T extends TypedColumn>(a: T, cap: number): T {
  return new (a.constructor as new (n: number) => T)(cap);
}

/** `a` copied into the front of a larger column (same slot numbers). */
export function widen<T extends TypedColumn>(a: T, cap: number): T {
  const b = sameKind(a, cap);
  b.set(a);
  return b;
}

/** `a` (a full ring starting at `head`) into the front of a larger column, oldest first. */
export function rotate<T extends TypedColumn>(a: T, head: number, cap: number): T {
  const b = sameKind(a, cap);
  b.set(a.subarray(head));
  b.set(a.subarray(0, head), a.length - head);
  return b;
}

/** A JS column lengthened in place to `cap` slots, the new ones `fill`. */
export function widenA<T>(a: T[], cap: number, fill: T): T[] {
  const n = a.length;
  a.length = cap;
  a.fill(fill, n);
  return a;
}

/** A JS column's full ring from `head` into a larger column, oldest first, the rest `fill`. */
export function rotateA<T>(a: T[], head: number, cap: number, fill: T): T[] {
  return widenA(a.slice(head).concat(a.slice(0, head)), cap, fill);
}
