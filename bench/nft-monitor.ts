/**
 * What a `nft monitor` line says was put into a set, for the benches that time a block by
 * the kernel's own event (bench/latency, bench/cluster). nft prints a new element as
 * "add element …" or, when the sender asked for an exclusive insert (NLM_F_EXCL: the native
 * enforcer's first insert of an address), as "create element …". The benches matched only
 * "add", so they timed the block's first renewal (a delete + add ~1.5 s later) instead of
 * the block: the "nft monitor" column read 1.0–1.5 s while the probes saw 2–5 ms.
 */

const ELEMENT = /^(?:add|create) element (\S+) (\S+) (\S+) \{ (.*)\}\s*$/;

export interface AddedElements {
  family: string;
  table: string;
  set: string;
  /** The IPv4 addresses (and prefixes' network addresses) among the elements, in order. */
  addresses: string[];
}

/** The elements a monitor line adds, or null for any other line (delete, rule, table…). */
export function addedElements(line: string): AddedElements | null {
  const m = ELEMENT.exec(line);
  if (!m) return null;
  const addresses = [...m[4]!.matchAll(/(?:^|[ ,])(\d{1,3}(?:\.\d{1,3}){3})(?=[ ,/]|$)/g)].map((a) => a[1]!);
  return { family: m[1]!, table: m[2]!, set: m[3]!, addresses };
}
