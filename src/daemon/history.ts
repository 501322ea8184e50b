/**
 * What the daemon writes to the history for its decisions (issue 16): each block with the
 * sample answers the server gave the address (core/history/evidence.ts), each escalation,
 * each lift with how often the block was renewed while it ran, and who made it — this
 * daemon (`sipprotd@HOST`) unless a lift came from an admin (`cli`, `web:admin@ADDRESS`)
 * or a peer (`host:NAME`). Renewals are counted here, not written one by one: a block that
 * runs a week is renewed thousands of times and is one line of history when it lifts.
 */
import { ACTORS, eventOfDecision, type NewHistoryEvent } from '../core/history/events.js';
import { EvidenceLog } from '../core/history/evidence.js';
import { RenewalCounts } from '../core/history/renewal-counts.js';
import type { Config, Decision, SipEvent } from '../core/types.js';

export class DaemonHistory {
  readonly evidence: EvidenceLog;
  /**
   * Renewals of the running blocks renewed at least once (a block with none has no entry:
   * its lift reads as 0 renewals either way): a slot of two doubles each, no object
   * (renewal-counts.ts: a flood's hundred thousand renewed blocks kept an object and a
   * boxed time each for their whole life, copied by the scavenges that promoted them).
   */
  private readonly renewals = new RenewalCounts();

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
      this.renewals.renewed(d.ip, d.at);
      return null;
    }
    // A new block starts from no renewals. No entry is made for it: eventOfDecision reads a
    // missing one as { renewals: 0, lastSeen: null }, and an entry per block (an object and
    // a Map slot) was kept for every attacker of a flood until its block lifted.
    if (d.action === 'block') this.renewals.forget(d.ip);
    const renewals = d.action === 'unblock' ? this.renewals.lifted(d.ip) : undefined;
    const samples = d.action === 'block' || d.action === 'permanent' ? this.evidence.samples(d.ip) : [];
    return eventOfDecision(d, actor, renewals ? { samples, renewals } : { samples });
  }
}
