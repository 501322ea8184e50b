/**
 * The allow and deny lists as the daemon holds them: both files parsed, every line that is
 * not a network logged once with its file and number (and skipped, never fatal), every
 * near-total entry (half the internet is rarely meant) warned about at every load. Each
 * entry is parsed once: the lookup sets and the kernel load reuse the parser's networks.
 */
import { hugeEntry } from '../core/lists/entries.js';
import { AccessLists } from '../core/lists/lists.js';
import { parseNetwork } from '../core/net/ip.js';
import type { ListStorage } from '../ports/lists.js';
import type { Logger } from '../ports/logger.js';

export function readAccessLists(lists: ListStorage, log: Logger): AccessLists {
  const allow = lists.readDetailed('allow');
  const deny = lists.readDetailed('deny');
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
