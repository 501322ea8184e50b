/** Builders of cluster events for tests: each returns exactly the event its name says. */
import type { BlockRecord, ListEntry, ListName } from '../types.js';
import type { BlockEvent, ListEvent } from './events.js';

let seq = 0;

/** A block event from `host` carrying `rec` (its host set to `host` unless given). */
export function aBlockEvent(
  host: string,
  rec: BlockRecord & { host?: string },
  over: Partial<BlockEvent> = {},
): BlockEvent {
  return {
    v: 1,
    id: `${host}:b${++seq}`,
    host,
    at: rec.blockedAt,
    type: 'block',
    action: rec.expiresAt === null ? 'permanent' : 'block',
    block: { ...rec, host: rec.host ?? host },
    ...over,
  };
}

export function aListEvent(
  host: string,
  list: ListName,
  op: 'add' | 'remove',
  entries: ListEntry[],
  at = 1000,
): ListEvent {
  return { v: 1, id: `${host}:l${++seq}`, host, at, type: 'list', list, op, entries };
}
