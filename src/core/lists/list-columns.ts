/**
 * A list file read for the kernel only: the networks it lists, as a start's first load
 * needs them, and nothing else (issue 13 target 5: 100k entries in the kernel ≤ 1 s).
 * parseListFile builds an entry, a Network, a Uint8Array and two strings a line for the
 * daemon's lookups and its views: for a 100k-line deny list ~0.3 s of a start's main
 * thread before the table could be complete, most of it garbage collection. The kernel
 * needs the union of the listed networks: here a plain IPv4 host line (most of a big
 * list) is a number in a Float64Array (hostNumber: the lines hostLine takes), and every
 * other line goes through parseListLine and the same refusals as parseListFile.
 *
 * The union is the same as parseListFile's networks' (lists.test.ts compares them): a
 * line either list skips (an error, a never-a-source entry) is skipped here too; repeats
 * are kept (the kernel's ranges are merged after). Errors are not collected: the daemon
 * reads the same text with parseListFile after the table is in, and says them then.
 */
import type { Network } from '../net/ip.js';
import { entryRefusal } from './entries.js';
import { hostNumber } from './host-line.js';
import { parseListLine } from './lists.js';

/** A list's networks as the kernel load takes them (ports/firewall.ts FirewallLists.columns). */
export interface ListColumns {
  /** IPv4 hosts of plain host lines, as numbers, in file order (a repeat is kept). */
  v4Hosts: Float64Array;
  /** Every other entry's network (valid, not refused), in file order. */
  networks: Network[];
}

export function parseListColumns(text: string): ListColumns {
  // A host line holds at least 7 characters (0.0.0.0) and a newline, the last one maybe
  // none: that bounds the count without reading the text twice.
  const hosts = new Float64Array(Math.floor((text.length + 1) / 8) + 1);
  let count = 0;
  const networks: Network[] = [];
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const n = hostNumber(text, at, end);
    if (n >= 0) hosts[count++] = n;
    else {
      const parsed = parseListLine(text.slice(at, end));
      if (parsed.kind === 'entry' && entryRefusal(parsed.net) === null) networks.push(parsed.net);
    }
    at = end + 1;
  }
  return { v4Hosts: hosts.subarray(0, count), networks };
}
