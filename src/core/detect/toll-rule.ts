/**
 * The toll-fraud rule on the wire (toll.ts has the number logic and the reasoning):
 * refused INVITEs to outside numbers from untrusted sources, counted per source within
 * MONIT_PERIOD; a TOLL_WATCH destination blocks at its first refusal. A challenge to a
 * watched destination waits for its follow-up like any challenge (enumeration.ts judges
 * it if none comes), so a peer that authenticates its calls is never blocked for one.
 */
import type { PendingRequest } from '../sip/match.js';
import type { DetectContext } from './context.js';
import { extraOf } from './state-lists.js';
import { addDialled, addTollProbe, dropTollProbe, watchedPrefix } from './toll.js';

/**
 * A refusal (401/403/404/407/484/503) of an INVITE to the outside number `dialled`
 * (as written, `digits` without '+'); true if it produced a verdict.
 */
export function onTollRefusal(
  c: DetectContext,
  req: PendingRequest,
  dialled: string,
  digits: string,
  status: number,
  at: number,
): boolean {
  const key = c.prefix.key(req.remote);
  if (c.trust.trusted(key, at)) return false;
  c.stats.tollProbes++;
  const challenge = (status === 401 || status === 407) && !req.hasCredentials;
  const watched = watchedPrefix(digits, c.tollWatch) !== null;
  if (c.tollCount <= 0 && !watched) return false;
  const st = c.ips.getOrCreate(key);
  const x = extraOf(c.ips, st);
  x.dialled ??= [];
  addDialled(x.dialled, dialled);
  if (watched && !challenge) {
    const detail = `dialled the watched destination ${dialled}`;
    c.verdict(st, 'toll-fraud', req.remote, key, at, 1, req, { detail, users: x.dialled.slice() });
    return true;
  }
  if (c.tollCount <= 0) return false;
  x.toll ??= [];
  const n = addTollProbe(x.toll, req.callHash, at, c.period);
  if (n < c.tollCount) {
    c.near?.record('toll-fraud', req.remote, n, c.tollCount, at);
    return false;
  }
  const detail = `dialled ${x.dialled.join(', ')}`;
  c.verdict(st, 'toll-fraud', req.remote, key, at, n, req, { detail, users: x.dialled.slice() });
  return true;
}

/** An INVITE with credentials following up a challenge takes that call's probe back. */
export function onTollFollowUp(c: DetectContext, req: PendingRequest): void {
  const st = c.ips.get(c.prefix.key(req.remote));
  const toll = st >= 0 ? c.ips.extra.get(st)?.toll : null;
  if (toll) dropTollProbe(toll, req.callHash);
}
