/**
 * The live view's Server-Sent Events on GET /api/dynamic/events: event name → data. A
 * client gets `snapshot` first, then the list's `changes` (gathered: at most one event per
 * 250 ms, however many decisions); `lists` and `settings` tell it to refetch, `logout` that
 * the session ended.
 */
import { OpenAlert } from './alerts.js';
import { DecisionReason, DynamicBlock } from './records.js';
import { arrayOf, type FromSchema, num, oneOf, record, str } from './schema.js';

export const StreamEvents = {
  snapshot: record({ blocks: arrayOf(DynamicBlock), now: num }),
  /**
   * The dynamic list's changes since the last event: rows added or replaced (a renewal
   * too), addresses lifted. Each address appears once, as its last decision left it.
   */
  changes: record({
    blocks: arrayOf(DynamicBlock),
    unblocks: arrayOf(record({ ip: str, reason: DecisionReason })),
    now: num,
  }),
  lists: record({ list: oneOf('allow', 'deny') }),
  settings: record({}),
  /** The open alerts changed (raised or acknowledged): every alert not acknowledged yet. */
  alerts: record({ open: arrayOf(OpenAlert) }),
  logout: record({}),
  /**
   * A part protection depends on stopped (lost) or works again (restored): the kernel's
   * copy of sipprot's rules, the firewall's sync, the store, capture.
   */
  protection: record({
    part: oneOf('kernel', 'firewall', 'store', 'capture'),
    state: oneOf('lost', 'restored'),
    reason: str,
    at: num,
  }),
} as const;

/** Event name → its data. */
export type StreamEvent = { [K in keyof typeof StreamEvents]: FromSchema<(typeof StreamEvents)[K]> };
