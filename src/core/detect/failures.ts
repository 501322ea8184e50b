/**
 * Failed attempts (what counts is decided in detector.ts: a final 401/407 to a request
 * with credentials, not stale; any 403; a 404 to a REGISTER) and the three windows they
 * feed:
 *
 * - auth-failures: HIT_COUNT within MONIT_PERIOD from one source, at that attempt; the
 *   misconfigured-phone label when they are one user, one Call-ID, rising CSeq, at a
 *   regular pace (the manual's deleted extension).
 * - slow-attack: SLOW_HOUR_COUNT failed dialogs within an hour or SLOW_DAY_COUNT within
 *   a day (Kamailio pike's two-bucket estimate: this bucket + the previous one weighted
 *   by how much of it still lies in the window). A failure that continues a failing
 *   dialog (same user and Call-ID, rising CSeq: a phone retrying its registration, RFC
 *   3261 10.2) is not a new dialog: the deleted-extension phone that fails all day is
 *   one failed dialog to the long windows and never reaches them. It is still blocked by
 *   the short window when it retries faster than HIT_COUNT per MONIT_PERIOD, labelled.
 *   Only password-bearing and call/registration failures count (REGISTER, INVITE, any
 *   request with credentials): a peer whose OPTIONS keep-alives get 403 all day is not
 *   guessing anything.
 * - distributed: the per-extension view (extension.ts).
 *
 * Failed dialogs are also tallied per targeted user for the breach alert (breach.ts).
 */
import { hashOne, type PendingRequest, targetUser } from '../sip/match.js';
import type { DetectContext } from './context.js';
import { EXTENSION_WINDOW } from './extension.js';
import { type IpTable, off } from './state.js';
import { addUser, pushDialog, takeDialog } from './state-lists.js';

const HOUR = 3600;
const DAY = 86400;
const MAX_DIALOGS = 8;

/** A failed attempt at `at`; true if it produced a verdict about the source. */
export function onFailure(c: DetectContext, req: PendingRequest, at: number): boolean {
  c.stats.failures++;
  const key = c.prefix.key(req.remote);
  const t = c.ips;
  const st = t.getOrCreate(key);
  const col = t.cols(st);
  const o = off(st);
  col.failTotal[o]!++;
  t.failPush(st, at);

  const user = targetUser(req);
  const fresh = failedDialog(t, st, hashOne(user), req.callHash, req.cseq);
  const phoneRun = col.phoneRun[o]!;
  addUser(t, st, user, c.userCap);
  if (fresh) col.freshFails[o]!++;

  if (t.failFull(st, at, c.period)) {
    let phone = false;
    if (phoneRun >= c.hitCount) {
      const { mean, cv } = t.failIntervals(st);
      phone = cv < c.phoneMaxCv && mean >= c.phoneMinInterval;
    }
    c.verdict(st, 'auth-failures', req.remote, key, at, c.hitCount, req, { phone });
    return true;
  }
  if (c.near !== null)
    c.near.record('auth-failures', req.remote, t.failsWithin(st, at, c.period), c.hitCount, at);
  if (user !== null && onExtensionFailure(c, req, key, user, at)) return true;
  const counts = req.hasCredentials || req.method === 'REGISTER' || req.method === 'INVITE';
  return fresh && counts && slowWindows(c, st, req, key, at);
}

/**
 * Whether a failure opens a new failing dialog, as opposed to a retry within one (same
 * user and Call-ID, CSeq rising: a phone). The current dialog is the run of the
 * misconfigured-phone label (phoneUser/phoneCall/phoneCseq/phoneRun); up to MAX_DIALOGS
 * earlier ones wait in `dialogs`, so two or three broken phones behind one NAT, retrying
 * in turn, stay one dialog each. A source failing once allocates nothing.
 */
function failedDialog(t: IpTable, st: number, uh: number, call: number, cseq: number): boolean {
  const c = t.cols(st);
  const o = off(st);
  const run = c.phoneRun[o]!;
  if (run > 0 && uh === c.phoneUser[o] && call === c.phoneCall[o]) {
    const rising = cseq > c.phoneCseq[o]!;
    c.phoneRun[o] = rising ? run + 1 : 1;
    c.phoneCseq[o] = cseq;
    return !rising;
  }
  const fresh = takeDialog(t, st, dialogHash(uh, call), cseq) !== 1;
  if (run > 0) pushDialog(t, st, dialogHash(c.phoneUser[o]!, c.phoneCall[o]!), c.phoneCseq[o]!, MAX_DIALOGS);
  c.phoneRun[o] = 1;
  c.phoneUser[o] = uh;
  c.phoneCall[o] = call;
  c.phoneCseq[o] = cseq;
  return fresh;
}

function dialogHash(uh: number, call: number): number {
  return (Math.imul(uh, 0x9e3779b1) ^ call) | 0;
}

/** Pike's estimate of a count over the last `len` seconds from two aligned buckets. */
function estimate(idx: number, cur: number, prev: number, len: number, at: number): number {
  return cur + prev * Math.max(0, 1 - (at - idx * len) / len);
}

/** Counts a new failed dialog in the hour and day windows; true if a verdict was given. */
function slowWindows(c: DetectContext, st: number, req: PendingRequest, key: string, at: number): boolean {
  if (c.slowHour <= 0 && c.slowDay <= 0) return false;
  const t = c.ips.cols(st);
  const o = off(st);
  const h = Math.floor(at / HOUR);
  if (h !== t.hourIdx[o]) {
    t.hourPrev[o] = h === t.hourIdx[o]! + 1 ? t.hourCur[o]! : 0;
    t.hourCur[o] = 0;
    t.hourIdx[o] = h;
  }
  t.hourCur[o]!++;
  const d = Math.floor(at / DAY);
  if (d !== t.dayIdx[o]) {
    t.dayPrev[o] = d === t.dayIdx[o]! + 1 ? t.dayCur[o]! : 0;
    t.dayCur[o] = 0;
    t.dayIdx[o] = d;
  }
  t.dayCur[o]!++;
  const hour = estimate(h, t.hourCur[o]!, t.hourPrev[o]!, HOUR, at);
  const day = estimate(d, t.dayCur[o]!, t.dayPrev[o]!, DAY, at);
  if (c.slowHour > 0 && hour >= c.slowHour) {
    const n = Math.round(hour);
    c.verdict(st, 'slow-attack', req.remote, key, at, n, req, {
      detail: `${n} failed attempts within an hour`,
    });
    return true;
  }
  if (c.slowDay > 0 && day >= c.slowDay) {
    const n = Math.round(day);
    c.verdict(st, 'slow-attack', req.remote, key, at, n, req, {
      detail: `${n} failed attempts within a day`,
    });
    return true;
  }
  if (c.near !== null) {
    if (c.slowHour > 0) c.near.record('slow-attack', req.remote, Math.floor(hour), c.slowHour, at);
  }
  return false;
}

/**
 * The per-extension view of a failure from an untrusted source; true if it produced a
 * verdict about this source (the attack on the extension is on, and DISTRIBUTED_BLOCK).
 */
function onExtensionFailure(
  c: DetectContext,
  req: PendingRequest,
  key: string,
  user: string,
  at: number,
): boolean {
  if (c.distSources <= 0 || c.trust.trusted(key, at)) return false;
  const ext = c.ext.failure(user, key, req.remote, at, req.transport, req.port);
  if (ext === null) return false;
  const n = ext.size;
  if (c.near !== null) c.near.record('distributed', `extension ${user}`, n, c.distSources, at);
  const detail = `extension ${user} attacked from ${n} addresses within an hour`;
  // The verdicts' user, one copy for all (interned like the per-source lists' users): each
  // lands in a block record that lives as long as the block.
  const name = c.distBlock ? c.ips.names.of(user) : user;
  if (at - ext.alertedAt >= EXTENSION_WINDOW) {
    if (n < c.distSources) return false;
    ext.alertedAt = at;
    c.near?.hit('distributed', `extension ${user}`);
    const sources = ext.ips.slice().reverse();
    c.alert({
      at,
      kind: 'distributed',
      ip: req.remote,
      user,
      dialled: null,
      failures: ext.failures,
      sources,
      userAgent: req.userAgent,
      transport: req.transport,
      port: req.port,
    });
    if (!c.distBlock) return false;
    const { keys, ips, transports, ports } = ext;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === key) continue;
      const origin = {
        userAgent: null,
        transport: transports[i] as PendingRequest['transport'],
        port: ports[i]!,
      };
      c.verdict(c.ips.get(keys[i]!), 'distributed', ips[i]!, keys[i]!, at, ext.failures, origin, {
        detail,
        users: [name],
      });
    }
  } else if (!c.distBlock) {
    return false;
  }
  c.verdict(c.ips.get(key), 'distributed', req.remote, key, at, ext.failures, req, {
    detail,
    users: [name],
  });
  return true;
}
