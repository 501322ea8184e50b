/**
 * The sentences `sipprot check` answers with (CLI, web UI, API alike): why an address is
 * dropped or not, one line per reason, and what makes the answer untrue right now. Pure:
 * the use case in local-admin.ts gathers the facts, this says them.
 */
import type { ListEntry } from '../core/types.js';
import type { DynamicBlock, Protection } from '../ports/admin.js';
import type { FeedMatch } from '../ports/feeds.js';

export interface CheckFacts {
  allow: ListEntry | undefined;
  deny: ListEntry | undefined;
  dynamic: DynamicBlock | null;
  feeds: readonly FeedMatch[];
  country: string | null;
  countryBlocked: boolean;
  protection: Protection | undefined;
  now: number;
}

export function explainCheck(f: CheckFacts): string[] {
  const out: string[] = [];
  if (f.allow) out.push(`allow list: ${f.allow.network}${note(f.allow)} — never blocked by sipprot`);
  if (f.deny) out.push(`deny list: ${f.deny.network}${note(f.deny)}`);
  if (f.dynamic) out.push(dynamicLine(f.dynamic));
  for (const feed of f.feeds) out.push(feedLine(feed, f.now));
  if (f.countryBlocked) out.push(`country ${f.country} is in BLOCKED_COUNTRIES`);
  if (out.length === 0) out.push('in no list');
  out.push(...protectionWarnings(f.protection));
  return out;
}

function dynamicLine(d: DynamicBlock): string {
  const why = `${d.reason}${d.misconfiguredPhone ? ' (looks like a misconfigured phone)' : ''}`;
  const left = d.timeLeft === null ? 'permanent' : `${Math.ceil(d.timeLeft)} s left`;
  const ua = d.userAgent ? `, user agent "${d.userAgent}"` : '';
  const users = d.users.length > 0 ? `, users ${d.users.join(',')}` : '';
  return `dynamic deny list: ${why}, ${d.attempts} attempts${ua}${users}; ${left}`;
}

/**
 * What makes an answer untrue right now, said with it (issue 10 items 10, 13): the
 * kernel lost sipprot's rules (being rebuilt), or the store has not taken decisions yet.
 */
export function protectionWarnings(p: Protection | undefined): string[] {
  const out: string[] = [];
  if (p?.kernel && !p.kernel.inSync) {
    out.push(
      `NOT IN FORCE: sipprot's nftables rules are missing from the kernel (${p.kernel.lastLoss?.reason ?? 'unknown'}); being rebuilt`,
    );
  }
  if (p?.firewall && !p.firewall.inSync) {
    out.push(
      `MAY NOT BE IN FORCE: the kernel firewall is not in sync with sipprot (${p.firewall.lastError ?? 'unknown error'}); retried every 5 s`,
    );
  }
  if (p?.capture && !p.capture.running) {
    out.push(`capture stopped (${p.capture.lastError ?? 'unknown error'}): new attacks are not seen`);
  }
  if (p && p.store.pending > 0) {
    out.push(
      `the store has not saved ${p.store.pending} recent decisions (${p.store.lastError ?? 'unknown error'}): in force now, retried; a restart before they are saved loses them`,
    );
  }
  return out;
}

function note(e: ListEntry): string {
  return e.note ? ` ("${e.note}")` : '';
}

/** Seconds as a person reads them: 45 s, 12 min, 5 h, 3 d. */
function span(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** "feed voipbl: 185.220.101.0/24, listed since 2026-12-05T03:00:00Z; lapses in 23 h unless listed again" */
function feedLine(f: FeedMatch, now: number): string {
  const since = new Date(f.since * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `feed ${f.feed}: ${f.network}, listed since ${since}; lapses in ${span(f.expiresAt - now)} unless listed again`;
}
