/**
 * `sipprot check IP` for a person whose phone stopped working (issue 16 item 2): the
 * verdict and why, then — for a dynamic block — when it started and how long it still
 * runs, the evidence (attempts, users, user agent, the answers the server gave), whether
 * it looks like a misconfigured phone, the commands to run next, and the address's recent
 * history. Every text that came from the network is made terminal-safe.
 */
import type { HistoryEvent } from '../core/history/events.js';
import { terminalSafe } from '../core/text/terminal.js';
import { count, localTime, relativeTime } from '../platform/time-text.js';
import type { CheckResult, DynamicBlock } from '../ports/admin.js';
import { formatDuration } from './table.js';

const KIND: Record<HistoryEvent['kind'], string> = {
  block: 'blocked',
  permanent: 'made permanent',
  unblock: 'unblocked',
  expire: 'block expired',
  'allow-add': 'added to the allow list',
  'allow-remove': 'removed from the allow list',
  'deny-add': 'added to the deny list',
  'deny-remove': 'removed from the deny list',
  settings: 'settings changed',
  'alert-ack': 'alert acknowledged',
};

function evidence(b: DynamicBlock, samples: string[]): string[] {
  const lines: string[] = [];
  const users = b.users.length > 0 ? ` for user${b.users.length > 1 ? 's' : ''} ${b.users.join(', ')}` : '';
  const ua = b.userAgent ? `; user agent "${b.userAgent}"` : '; no user agent';
  lines.push(`evidence: ${count(b.attempts)} attempt${b.attempts === 1 ? '' : 's'}${users}${ua}`);
  if (samples.length > 0) {
    lines.push('answers the server gave it (newest last):');
    for (const s of samples) lines.push(`  ${s}`);
  }
  if (b.note) lines.push(`note: ${b.note}`);
  return lines.map(terminalSafe);
}

function started(b: DynamicBlock, now: number): string {
  const left =
    b.timeLeft === null ? 'permanent' : `lifts in ${formatDuration(b.timeLeft)} unless it keeps attacking`;
  const before = b.timesBlocked > 1 ? `; blocked ${count(b.timesBlocked)} times in all` : '';
  return `blocked since ${localTime(b.blockedAt)} (${relativeTime(b.blockedAt, now)}); ${left}${before}`;
}

function nextCommands(r: CheckResult): string[] {
  const out: Array<[string, string]> = [];
  const who = r.dynamic?.users.length ? ` of ${r.dynamic.users.slice(0, 3).join(',')}` : '';
  if (r.dynamic) out.push([`sipprot unblock ${r.ip}`, 'lift the block now']);
  if (r.deny) out.push([`sipprot deny remove ${r.deny.network}`, 'take it off the deny list']);
  out.push([`sipprot allow add ${r.ip} "phone${who}"`, 'never block it again (only an address you trust)']);
  const w = Math.max(...out.map(([c]) => c.length));
  const lines = out.map(([c, why]) => `${c.padEnd(w)}  # ${why}`);
  if (r.countryBlocked)
    lines.push(
      `(its country ${r.country} is in BLOCKED_COUNTRIES: allow the address, or change that setting)`,
    );
  return lines;
}

function recentLines(events: HistoryEvent[], now: number): string[] {
  return events.map((e) => {
    const why = e.reason && e.kind !== 'unblock' && e.kind !== 'expire' ? ` (${e.reason})` : '';
    const renew = e.renewals !== null && e.renewals > 0 ? `, renewed ${count(e.renewals)}×` : '';
    return terminalSafe(
      `  ${localTime(e.at)} (${relativeTime(e.at, now)}): ${KIND[e.kind]}${why}${renew} by ${e.actor}`,
    );
  });
}

export function checkText(r: CheckResult, now: number): string {
  const head = `${r.ip}: ${r.blocked ? 'BLOCKED' : 'not blocked'}${r.country ? ` (country ${r.country})` : ''}`;
  const out = [head, ...r.explanation.map((line) => `  - ${terminalSafe(line)}`)];
  const b = r.dynamic;
  if (b) {
    const samples = r.recent.find((e) => e.kind === 'block' || e.kind === 'permanent')?.samples ?? [];
    out.push('', started(b, now), ...evidence(b, samples));
    if (b.misconfiguredPhone) {
      const ext = b.users[0] ? ` extension ${terminalSafe(b.users[0])}` : ' its extension';
      out.push(
        `this looks like a misconfigured phone (one user, one call, steady retries): check the password of${ext}`,
        'on the phone at this address before unblocking it, or it will be blocked again.',
      );
    }
  }
  if (r.blocked) out.push('', 'next:', ...nextCommands(r).map((c) => `  ${c}`));
  if (r.recent.length > 0) out.push('', 'history (newest first):', ...recentLines(r.recent, now));
  return `${out.join('\n')}\n`;
}
