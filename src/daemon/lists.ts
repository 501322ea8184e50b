/**
 * The allow and deny lists as the daemon holds them: both files parsed, every line that is
 * not a network logged once with its file and number (and skipped, never fatal), every
 * near-total entry (half the internet is rarely meant) warned about at every load. Each
 * entry is parsed once: the lookup sets and the kernel load reuse the parser's networks.
 * A fleet's change (cluster mode) is applied to the lists in force from its entries
 * (`withFleetChange`), without reading the file back: a new host's 100k-entry join parsed
 * every entry three more times that way.
 */
import { hugeEntry, hugeEntryOf } from '../core/lists/entries.js';
import { AccessLists, parseListFile } from '../core/lists/lists.js';
import { parseNetwork } from '../core/net/ip.js';
import type { ListEntry, ListName } from '../core/types.js';
import type { ListStorage } from '../ports/lists.js';
import type { Logger } from '../ports/logger.js';

/** `texts`: the files' texts read already (a start reads them once: kernel-first.ts). */
export function readAccessLists(
  lists: ListStorage,
  log: Logger,
  texts?: Record<ListName, string | null>,
): AccessLists {
  // The text a start's kernel load read (the same version of the file), or the file now.
  const read = (name: ListName) => parseListFile((texts ? texts[name] : lists.readText(name)) ?? '');
  const allow = read('allow');
  const deny = read('deny');
  for (const [name, r] of [
    ['allow', allow],
    ['deny', deny],
  ] as const) {
    for (const e of r.errors) {
      log.warn({ file: lists.path(name), line: e.line, text: e.text }, `skipped list line: ${e.message}`);
    }
    // Legal, but half the internet is rarely meant: said at every load (issue 10 item 9).
    r.entries.forEach((e, i) => {
      const net = r.networks?.[i] ?? parseNetwork(e.network);
      const huge = net ? hugeEntry(net) : null;
      if (huge) log.warn({ file: lists.path(name), network: e.network }, `near-total list entry: ${huge}`);
    });
  }
  return AccessLists.parsed(allow, deny);
}

/**
 * The lists in force after a fleet change (entries the cluster sync validated): what the
 * list file holds after the same `add` and `remove` — a network already listed keeps its
 * note unless the change brings a non-empty one.
 */
export function withFleetChange(
  access: AccessLists,
  name: ListName,
  set: readonly ListEntry[],
  remove: readonly string[],
  log: Logger,
): AccessLists {
  const current = name === 'allow' ? access.allowEntries() : access.denyEntries();
  let next: readonly ListEntry[] = set;
  // A list that was empty (a new host's join) is the change's entries as they are.
  if (current.length > 0 || remove.length > 0) {
    const notes = new Map(current.map((e) => [e.network, e.note]));
    for (const n of remove) notes.delete(n);
    for (const e of set) {
      const cur = notes.get(e.network);
      if (cur === undefined || (e.note !== '' && e.note !== cur)) notes.set(e.network, e.note);
    }
    next = [...notes].map(([network, note]) => ({ network, note }));
  }
  for (const e of set) {
    // A near-total entry is said as at a file load.
    const huge = hugeEntryOf(e.network);
    if (huge) log.warn({ list: name, network: e.network }, `near-total list entry from the fleet: ${huge}`);
  }
  // The list that did not change keeps its parsed networks (no second parse).
  return name === 'allow'
    ? new AccessLists(next, access.denyEntries(), { deny: access.networks('deny') })
    : new AccessLists(access.allowEntries(), next, { allow: access.networks('allow') });
}
