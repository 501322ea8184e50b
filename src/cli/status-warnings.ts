/**
 * What `sipprot status` says before anything else under its table: the states in which an
 * admin could believe the host is protected while it is not — OBSERVE mode (rules that
 * detect but never block), and a part protection depends on that stopped (capture, the
 * firewall's sync) — and the alerts nobody acknowledged yet. Upper case on purpose: it
 * must not read like a detail.
 */
import type { StatusReport } from '../ports/admin.js';
import { alertLine } from './alerts-command.js';

export function statusWarnings(s: StatusReport): string[] {
  const out: string[] = [];
  const observe = s.observe ?? [];
  if (observe.includes('all')) {
    out.push(
      'OBSERVE MODE: sipprot detects attacks but BLOCKS NOTHING it detects (OBSERVE=all); ' +
        "attackers are only reported as 'would block'. Set OBSERVE= (empty) to protect.",
    );
  } else if (observe.length > 0) {
    out.push(
      `OBSERVE MODE for ${observe.join(', ')}: these rules only report ('would block') and do NOT block; ` +
        'the other rules block.',
    );
  }
  const p = s.live?.protection;
  if (p?.capture && !p.capture.running) {
    out.push(
      `PROTECTION LOST: packet capture stopped (${p.capture.lastError ?? 'unknown error'}); new attackers are not seen`,
    );
  }
  if (p?.firewall && !p.firewall.inSync) {
    out.push(
      `PROTECTION LOST: the kernel firewall is not in sync (${p.firewall.lastError ?? 'unknown error'}); retried every 5 s`,
    );
  }
  const alerts = s.alerts ?? [];
  if (alerts.length > 0) {
    out.push(...alerts.map(alertLine), 'acknowledge: sipprot alerts ack ID... (or --all)');
  }
  return out;
}
