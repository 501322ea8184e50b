/**
 * The live view's Server-Sent Events on GET /api/dynamic/events: event name → data. A
 * client gets `ready` first (subscribed: read the list's pages from GET /api/dynamic/page
 * now, nothing falls between), then the list's `changes` (gathered: at most one event per
 * 250 ms, however many decisions); `lists` and `settings` tell it to refetch, `logout` that
 * the session ended. The whole list is never sent (a flood's 52k blocks were 19 MB).
 */
import { OpenAlert } from './alerts.js';
import { DecisionReason, DynamicBlock } from './records.js';
import { arrayOf, type FromSchema, num, oneOf, record, str } from './schema.js';

export const StreamEvents = {
  /** Subscribed: every change from here on comes as `changes`. Sent again after a reconnect. */
  ready: record({ now: num }),
  /**
   * The dynamic list's changes since the last event: rows added or replaced (a renewal
   * too), addresses lifted. Each address appears once, as its last decision left it;
   * `added` names the rows that are new blocks (the others were running: a renewal, made
   * permanent), so a view counts them without holding the whole list.
   */
  changes: record({
    blocks: arrayOf(DynamicBlock),
    added: arrayOf(str),
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
