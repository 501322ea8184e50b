/**
 * The shield's decision for one piece of evidence that needs no answer (shield.ts says
 * why): true when it must NOT give a verdict — the source is a protected peer, or proved
 * itself recently (trust.ts, outbound.ts) and this request does not echo a nonce the
 * server challenged it with. A 'shielded' alert is raised then, once per source per
 * SHIELD_ALERT_SECONDS (a forger must not flood the alert path either).
 */
import type { SipEvent } from '../types.js';
import type { DetectContext } from './context.js';

export function shielded(
  c: DetectContext,
  ev: SipEvent,
  remote: string,
  what: string,
  provable = true,
): boolean {
  const isProtected = c.protectedPeer?.(remote) ?? false;
  if (!isProtected && !c.trust.trusted(c.prefix.key(remote), ev.at)) return false;
  if (!isProtected && provable && c.echo.echoed(remote, ev.msg.nonce, ev.at)) return false;
  if (c.shieldAlerted.take(remote, ev.at)) {
    c.alert({
      at: ev.at,
      kind: 'shielded',
      ip: remote,
      user: ev.msg.authUser ?? ev.msg.toUser,
      dialled: what,
      failures: 0,
      sources: [],
      userAgent: ev.msg.userAgent,
      transport: ev.transport,
      port: ev.dport,
    });
  }
  return true;
}
