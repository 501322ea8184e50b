/**
 * Protection that never vanishes silently, in one place: the state of the four parts a
 * "BLOCKED" answer depends on (the kernel's copy of sipprot's rules, the firewall being in
 * sync, the store taking decisions, packet capture) and what every loss and every recovery
 * sets off:
 * - an error line (a warning on recovery);
 * - the live view's `protection` event (UI banner) with the part;
 * - a mail at once, outside the digest's throttle (Notifier.protection), at most one loss
 *   mail per part every 10 minutes so a flapping interface cannot fill an inbox (the
 *   recovery of a loss that was mailed is mailed too);
 * - /metrics: sipprot_protection_up{part}, sipprot_protection_state, and the failure
 *   counters (firewall sync, store writes).
 * The kernel guard (kernel-guard.ts) and the store's alarm log their own lines; the other
 * parts are logged here.
 */
import type { LiveEvent } from '../api/types.js';
import { PROTECTION_PARTS, type ProtectionNotice, type ProtectionPart } from '../notify/protection-mail.js';
import type { Protection } from '../ports/admin.js';
import type { Logger } from '../ports/logger.js';
import type { CaptureWatch } from './inputs.js';
import { storeAlarm } from './kernel-guard.js';

/** Loss mails of one part at most this often (seconds). */
export const MAIL_GAP = 600;

export interface PartState {
  ok: boolean;
  /** When it was lost (null while ok). */
  since: number | null;
  reason: string | null;
  losses: number;
}

export interface ProtectionDeps {
  log: Logger;
  emit(e: LiveEvent): void;
  mail(n: ProtectionNotice): Promise<void>;
  clock(): number;
}

export class ProtectionMonitor {
  private readonly parts = new Map<ProtectionPart, PartState>(
    PROTECTION_PARTS.map((p) => [p, { ok: true, since: null, reason: null, losses: 0 }]),
  );
  private readonly mailedAt = new Map<ProtectionPart, number>();
  /** Firewall changes the kernel refused (each answered by a full rebuild), and rebuilds that failed too. */
  firewallFailures = 0;

  constructor(private readonly d: ProtectionDeps) {}

  /** Capture stopping on an error is a loss; a capture restarted (reload) works again. */
  readonly capture: CaptureWatch = {
    lost: (why) => this.lost('capture', why),
    restarted: () => this.restored('capture', 'capture restarted'),
  };

  /** A part stopped working; `logged`: its owner already wrote the error line. */
  lost(part: ProtectionPart, reason: string, logged = false): void {
    const s = this.parts.get(part)!;
    if (part === 'firewall') this.firewallFailures++;
    if (!s.ok) {
      s.reason = reason;
      return;
    }
    const at = this.d.clock();
    s.ok = false;
    s.since = at;
    s.reason = reason;
    s.losses++;
    if (!logged) this.d.log.error({ part, reason }, `PROTECTION LOST (${part}): ${reason}`);
    this.d.emit({ type: 'protection', part, state: 'lost', reason, at });
    const last = this.mailedAt.get(part);
    if (last !== undefined && at - last < MAIL_GAP) return;
    this.mailedAt.set(part, at);
    void this.d.mail({ part, state: 'lost', reason, at, lostAt: null });
  }

  /** The part works again (no-op when it never stopped). */
  restored(part: ProtectionPart, reason: string, logged = false): void {
    const s = this.parts.get(part)!;
    if (s.ok) return;
    const at = this.d.clock();
    const lostAt = s.since;
    s.ok = true;
    s.since = null;
    if (!logged) this.d.log.warn({ part }, `protection restored (${part}): ${reason}`);
    this.d.emit({ type: 'protection', part, state: 'restored', reason, at });
    // The recovery of a loss that was mailed is mailed too (the admin is waiting for it).
    if (lostAt !== null && (this.mailedAt.get(part) ?? -1) >= lostAt)
      void this.d.mail({ part, state: 'restored', reason, at, lostAt });
  }

  part(p: ProtectionPart): Readonly<PartState> {
    return this.parts.get(p)!;
  }

  /** True when every part works. */
  get ok(): boolean {
    for (const s of this.parts.values()) if (!s.ok) return false;
    return true;
  }

  /** part → 1 (works) / 0 (lost), for /metrics. */
  up(): Record<ProtectionPart, boolean> {
    return Object.fromEntries(PROTECTION_PARTS.map((p) => [p, this.parts.get(p)!.ok])) as Record<
      ProtectionPart,
      boolean
    >;
  }
}

/** The enforcer's store alarm: its own log line (kernel-guard.ts), and the watchdog's loss or recovery. */
export function storeAlarmTo(
  log: Logger,
  watchdog: ProtectionMonitor,
): (state: 'failing' | 'recovered', d: Protection['store'] & { seconds?: number }) => void {
  return (state, d) => {
    storeAlarm(log, state, d);
    if (state === 'failing') watchdog.lost('store', d.lastError ?? 'write failed', true);
    else watchdog.restored('store', 'every waiting decision saved', true);
  };
}
