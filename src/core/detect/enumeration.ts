/**
 * Enumeration: ENUM_USERS distinct users probed without success within MONIT_PERIOD,
 * or ENUM_CHALLENGES challenges left unanswered within MONIT_PERIOD. A probe is a
 * 403/404 to a request without credentials, or a challenge (401/407 to a request
 * without credentials) not followed by a request with credentials for the same Call-ID
 * and user within the follow-up grace. Phones answer a challenge within milliseconds.
 *
 * What is never a probe, so that no office is ever enumeration:
 * - an answer to a request WITH credentials other than 401/407/403 (404, 480, 486, 489,
 *   ...): the server accepted the credentials and routed the request; a wrong number,
 *   a busy line or a BLF key on a deleted extension is a routing result;
 * - anything from a trusted source (trust.ts: its phones' credentials were accepted
 *   within the hour): a BLF SUBSCRIBE answered 404 before any challenge, OPTIONS
 *   keep-alives whose challenges the phones never answer, MWI and presence SUBSCRIBEs.
 *   A probe tool has no working credentials; one that has them is the breach alert.
 */
import {
  hashEnd,
  hashNum,
  hashOne,
  hashStartWith,
  hashStr,
  identityUser,
  type PendingRequest,
} from '../sip/match.js';
import type { Transport } from '../types.js';
import type { DetectContext } from './context.js';
import type { IpTable } from './state.js';
import { addProbe, addUser, extraOf, removeProbe } from './state-lists.js';
import { addDialled } from './toll.js';
import { newRing, ringFull, ringPush, within } from './window.js';

/** A challenge waiting for the follow-up request with credentials. */
export interface Challenge {
  at: number;
  /** Second hash of the key, to tell a hash collision from the same challenge. */
  verify: number;
  ip: string;
  user: string | null;
  userAgent: string | null;
  transport: Transport;
  port: number;
  /** An INVITE to a TOLL_WATCH destination (the number), judged as toll fraud if unanswered. */
  watched: string | null;
}

/** Hashes remote + Call-ID + identity user into HASH (a challenge's key). */
export function challengeKey(req: PendingRequest): void {
  hashStartWith(req.remote);
  hashNum(req.callHash);
  hashStr(identityUser(req) ?? '');
  hashEnd();
}

/** Whether probes from `ip` are not counted (its phones authenticate); counts them in stats. */
function trustedSource(c: DetectContext, key: string, at: number): boolean {
  if (!c.trust.trusted(key, at)) return false;
  c.stats.trustedProbes++;
  return true;
}

/** A 403/404 answer to a request without credentials. */
export function onProbe(c: DetectContext, req: PendingRequest, at: number): void {
  c.stats.probes++;
  if (c.enumUsers <= 0) return;
  const user = identityUser(req);
  if (user === null) return;
  const key = c.prefix.key(req.remote);
  if (trustedSource(c, key, at)) return;
  const st = c.ips.getOrCreate(key);
  addUser(c.ips, st, user, c.userCap);
  const n = addProbe(c.ips, st, hashOne(user), at, c.period, c.enumUsers);
  if (n >= c.enumUsers) c.verdict(st, 'enumeration', req.remote, key, at, n, req);
  else c.near?.record('enumeration', req.remote, n, c.enumUsers, at);
}

/** A challenge was never followed up with credentials: judged at `now`. */
export function onUnanswered(c: DetectContext, ch: Challenge, now: number): void {
  c.stats.unansweredChallenges++;
  const key = c.prefix.key(ch.ip);
  if (trustedSource(c, key, now)) return;
  const st = c.ips.getOrCreate(key);
  if (ch.watched !== null) {
    const x = extraOf(c.ips, st);
    x.dialled ??= [];
    addDialled(x.dialled, ch.watched);
    const detail = `dialled the watched destination ${ch.watched}`;
    c.verdict(st, 'toll-fraud', ch.ip, key, now, 1, ch, { detail, users: x.dialled.slice() });
    return;
  }
  addUser(c.ips, st, ch.user, c.userCap);
  if (c.enumChallenges > 0) {
    const x = extraOf(c.ips, st);
    if (x.unanswered === null) x.unanswered = newRing(c.enumChallenges);
    x.unansweredHead = ringPush(x.unanswered, x.unansweredHead, ch.at);
    if (ringFull(x.unanswered, x.unansweredHead, ch.at, c.period)) {
      c.verdict(st, 'enumeration', ch.ip, key, now, c.enumChallenges, ch);
      return;
    }
    if (c.near !== null) {
      let n = 0;
      for (const t of x.unanswered) if (within(ch.at, t, c.period)) n++;
      c.near.record('enumeration', ch.ip, n, c.enumChallenges, now);
    }
  }
  if (c.enumUsers > 0 && ch.user !== null) {
    const n = addProbe(c.ips, st, hashOne(ch.user), ch.at, c.period, c.enumUsers);
    if (n >= c.enumUsers) c.verdict(st, 'enumeration', ch.ip, key, now, n, ch);
  }
}

/** A success forgets the user probed (a phone that got through after a 404). */
export function forgetProbe(t: IpTable, st: number, req: PendingRequest): void {
  const user = identityUser(req);
  if (user !== null) removeProbe(t, st, hashOne(user));
}
