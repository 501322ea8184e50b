/**
 * The live view's Server-Sent Events on GET /api/dynamic/events: event name → data. A
 * client gets `snapshot` first, then one event per change; `lists` and `settings` tell it
 * to refetch, `logout` that the session ended.
 */
import { DecisionReason, DynamicBlock } from './records.js';
import { arrayOf, type FromSchema, num, oneOf, record, str } from './schema.js';

export const StreamEvents = {
  snapshot: record({ blocks: arrayOf(DynamicBlock), now: num }),
  block: record({ block: DynamicBlock, now: num }),
  unblock: record({ ip: str, reason: DecisionReason, now: num }),
  lists: record({ list: oneOf('allow', 'deny') }),
  settings: record({}),
  logout: record({}),
  /** sipprot's firewall table vanished behind its back (lost) and was rebuilt (restored). */
  protection: record({ state: oneOf('lost', 'restored'), reason: str, at: num }),
} as const;

/** Event name → its data. */
export type StreamEvent = { [K in keyof typeof StreamEvents]: FromSchema<(typeof StreamEvents)[K]> };
