/**
 * What the daemon writes to the history for its decisions (issue 16): each block with the
 * sample answers the server gave the address (core/history/evidence.ts), each escalation,
 * each lift with how often the block was renewed while it ran, and who made it — this
 * daemon (`sipprotd@HOST`) unless a lift came from an admin (`cli`, `web:admin@ADDRESS`)
 * or a peer (`host:NAME`). Renewals are counted here, not written one by one: a block that
 * runs a week is renewed thousands of times and is one line of history when it lifts.
 */
import { ACTORS, eventOfDecision, type NewHistoryEvent, type Renewals } from '../core/history/events.js';
import { EvidenceLog } from '../core/history/evidence.js';
import { ShardedMap } from '../core/history/sharded-map.js';
import type { Config, Decision, SipEvent } from '../core/types.js';

export class DaemonHistory {
  readonly evidence: EvidenceLog;
  /**
   * Renewals of the running blocks renewed at least once (a block with none has no entry:
   * its lift reads as 0 renewals either way). Sharded: one entry a renewed block, and a
   * flood's hundred thousand of them would otherwise grow one Map in one piece.
   */
  private readonly renewals = new ShardedMap<Renewals>();

  constructor(
    config: Pick<Config, 'sipPorts'>,
    /** The actor of what this daemon decides itself. */
    readonly self = ACTORS.daemon('localhost'),
  ) {
    this.evidence = new EvidenceLog(config.sipPorts);
  }

  /** Every SIP event passes here (one comparison unless it is an error answer). */
  observe(ev: SipEvent): void {
    this.evidence.observe(ev);
  }

  reconfigure(config: Pick<Config, 'sipPorts'>): void {
    this.evidence.reconfigure(config.sipPorts);
  }

  /** The history event of a decision (null for renewals, which are only counted). */
  eventOf(d: Decision, actor: string = this.self): NewHistoryEvent | null {
    if (d.action === 'extend') {
      // Counted in place: a flood renews tens of thousands of blocks a second.
      const r = this.renewals.get(d.ip);
      if (r) {
        r.renewals++;
        r.lastSeen = d.at;
      } else this.renewals.set(d.ip, { renewals: 1, lastSeen: d.at });
      return null;
    }
    // A new block starts from no renewals. No entry is made for it: eventOfDecision reads a
    // missing one as { renewals: 0, lastSeen: null }, and an entry per block (an object and
    // a Map slot) was kept for every attacker of a flood until its block lifted.
    if (d.action === 'block') this.renewals.delete(d.ip);
    let renewals: Renewals | undefined;
    if (d.action === 'unblock') {
      renewals = this.renewals.get(d.ip);
      this.renewals.delete(d.ip);
    }
    const samples = d.action === 'block' || d.action === 'permanent' ? this.evidence.samples(d.ip) : [];
    return eventOfDecision(d, actor, { samples, ...(renewals ? { renewals } : {}) });
  }
}
