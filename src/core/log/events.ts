/**
 * The sentences of the log events that have one (log/line.ts renders everything else as
 * `msg key=value`): decisions and alerts, which is what an admin reads the log for.
 *
 *   blocked 203.0.113.66 auth-failures: 5 failed attempts in 60 s (users 100,101; UA "friendly-scanner"; AU)
 *   would block 198.51.100.7 enumeration: 30 probes in 60 s (UA "sipvicious")
 *   unblocked 203.0.113.66 (expired)
 *   ALERT possible cracked password: extension 1099, from 192.0.2.9, after 35 failures
 *   blocked 3 addresses distributed: one extension guessed from many addresses (users 181): 198.18.0.1 198.18.0.7 198.19.4.2
 *
 * The daemon logs these as `{ event: 'decision' | 'decisions' | 'alert', ...fields }`
 * ('decisions': a burst of one action and rule, every address named; JSON keeps every
 * field for shippers). Text from the network is bounded here and made terminal-safe by
 * the line.
 */
import { terminalText } from '../text/terminal.js';

const VERB: Record<string, string> = {
  block: 'blocked',
  permanent: 'permanently blocked',
  unblock: 'unblocked',
  observe: 'would block',
  extend: 'renewed the block of',
};

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** What the rule counted, in a few words. */
function counted(rec: Record<string, unknown>): string | null {
  const n = num(rec.attempts);
  const w = num(rec.window);
  const within = w === null ? '' : ` in ${w} s`;
  switch (rec.reason) {
    case 'auth-failures':
      return n === null ? null : `${n} failed attempts${within}`;
    case 'enumeration':
      return n === null ? null : `${n} probes${within}`;
    case 'toll-fraud':
      return n === null ? null : `${n} refused calls to outside numbers${within}`;
    case 'slow-attack':
      return n === null ? null : `${n} failed attempts, slowly`;
    case 'distributed':
      return 'one extension guessed from many addresses';
    case 'flood':
      return n === null ? null : `${n} requests`;
    case 'prefix':
      return 'other addresses of its prefix were blocked';
    case 'threshold':
    case 'deny-list':
      return str(rec.note);
    default:
      return null;
  }
}

function users(v: unknown): string | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const shown = v.slice(0, 5).map((u) => terminalText(String(u), 32));
  return `users ${shown.join(',')}${v.length > 5 ? ` and ${v.length - 5} more` : ''}`;
}

function decisionSentence(rec: Record<string, unknown>): string {
  const action = String(rec.action ?? '');
  const ip = terminalText(String(rec.ip ?? '?'), 45);
  const verb = VERB[action] ?? action;
  const reason = terminalText(String(rec.reason ?? ''), 20);
  if (action === 'unblock') {
    const why = reason === 'expired' ? 'expired' : reason === 'manual' ? 'by hand' : reason;
    const host = str(rec.host);
    return `${verb} ${ip} (${why}${host ? `; on ${terminalText(host, 63)}` : ''})`;
  }
  const what = counted(rec);
  const facts = [
    users(rec.users),
    str(rec.userAgent) && `UA "${terminalText(String(rec.userAgent), 60)}"`,
    str(rec.country) && terminalText(String(rec.country), 2),
    rec.misconfiguredPhone === true ? 'looks like a misconfigured phone' : null,
    str(rec.host) && `decided on ${terminalText(String(rec.host), 63)}`,
  ].filter((x): x is string => typeof x === 'string' && x !== '');
  const head = `${verb} ${ip} ${reason}${what ? `: ${terminalText(what, 300)}` : ''}`;
  return facts.length > 0 ? `${head} (${facts.join('; ')})` : head;
}

/** A burst of decisions of one action and rule (daemon/ops-log.ts): every address, kept whole. */
function decisionsSentence(rec: Record<string, unknown>): string {
  const action = String(rec.action ?? '');
  const verb = VERB[action] ?? action;
  const reason = terminalText(String(rec.reason ?? ''), 20);
  const ips = Array.isArray(rec.ips) ? rec.ips.map((ip) => terminalText(String(ip), 45)) : [];
  const n = num(rec.count) ?? ips.length;
  const what = action === 'unblock' ? null : counted({ reason: rec.reason, note: null });
  const facts = [users(rec.users), str(rec.host) && `on ${terminalText(String(rec.host), 63)}`].filter(
    (x): x is string => typeof x === 'string' && x !== '',
  );
  const head = `${verb} ${n} addresses ${reason}${what ? `: ${what}` : ''}`;
  return `${head}${facts.length > 0 ? ` (${facts.join('; ')})` : ''}: ${ips.join(' ')}`;
}

/** The sentence of a decision or alert record; null for any other record. */
export function eventSentence(rec: Record<string, unknown>): string | null {
  if (rec.event === 'decision') return decisionSentence(rec);
  if (rec.event === 'decisions') return decisionsSentence(rec);
  if (rec.event === 'alert') {
    const text = str(rec.text) ?? str(rec.msg) ?? String(rec.alert ?? 'alert');
    return `ALERT ${terminalText(text, 500)}`;
  }
  return null;
}
