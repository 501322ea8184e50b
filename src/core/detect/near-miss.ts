/**
 * Near misses: for each rule with a threshold, the sources that came closest to it
 * without a verdict — the peak count each one reached in any window. `sipprot replay`
 * lists the top N, so an admin can set HIT_COUNT (and the others) on his own traffic:
 * "the busiest phone NAT peaked at 3 failures a minute, the quietest attacker at 9".
 *
 * Off by default (the live daemon does not pay for it); replay switches it on. Only
 * peaks of at least 2 are kept (one failure is never "close"), in one Map per rule.
 */
import type { Rule } from '../types.js';

export interface NearMiss {
  rule: Rule;
  /** The address (or, for the distributed rule, `extension N`). */
  subject: string;
  /** The highest count reached in any window. */
  peak: number;
  /** The rule's threshold at the time. */
  threshold: number;
  /** When the peak was reached. */
  at: number;
  /** Whether the rule gave a verdict about it at some point (then it was no miss). */
  hit: boolean;
}

export class NearMisses {
  private readonly byRule = new Map<Rule, Map<string, NearMiss>>();

  /** A count `n` of `threshold` reached by `subject` at `at`. */
  record(rule: Rule, subject: string, n: number, threshold: number, at: number): void {
    if (n < 2) return;
    let m = this.byRule.get(rule);
    if (m === undefined) {
      m = new Map();
      this.byRule.set(rule, m);
    }
    const e = m.get(subject);
    if (e === undefined) m.set(subject, { rule, subject, peak: n, threshold, at, hit: false });
    else if (n > e.peak) {
      e.peak = n;
      e.at = at;
    }
  }

  /** The rule gave a verdict about `subject`. */
  hit(rule: Rule, subject: string): void {
    const e = this.byRule.get(rule)?.get(subject);
    if (e !== undefined) e.hit = true;
  }

  /** Per rule, the `n` subjects without a verdict with the highest peaks (then earliest). */
  top(n: number): NearMiss[] {
    const out: NearMiss[] = [];
    for (const m of this.byRule.values()) {
      const misses = [...m.values()].filter((e) => !e.hit);
      misses.sort((a, b) => b.peak - a.peak || a.at - b.at || (a.subject < b.subject ? -1 : 1));
      out.push(...misses.slice(0, n).map((e) => ({ ...e })));
    }
    return out;
  }
}
