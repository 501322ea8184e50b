/**
 * Successes after failures (alerts.ts says what each alert means), and trust:
 * - a 2xx to a request with credentials makes its source trusted (trust.ts) when it was
 *   a REGISTER or followed a challenge (a 2xx to an OPTIONS that merely carried an
 *   Authorization header proves nothing: many servers never check it);
 * - a 2xx to a REGISTER/INVITE with credentials for an extension the source failed on,
 *   after at least `breachMin` failed dialogs (default 3: a phone that mistyped once or
 *   whose nonce expired is not a breach; a phone fixed after failing all day in one
 *   dialog is one dialog), or for an extension attacked from several addresses
 *   including this one → breach alert;
 * - an INVITE to an outside number answered 180/183/2xx from a source with at least
 *   `breachMin` failures → breach alert (toll fraud got through); to a TOLL_WATCH
 *   destination → watched-call alert, whoever the caller.
 * Each is raised once: the count is cleared, the request marked.
 */
import { type PendingRequest, targetUser } from '../sip/match.js';
import type { DetectContext } from './context.js';
import { off } from './state.js';
import { hasUser } from './state-lists.js';
import { watchedPrefix } from './toll.js';

/** A 2xx to a request with credentials from source `key` (its slot `st` in `c.ips`, or -1). */
export function onCredentialSuccess(
  c: DetectContext,
  req: PendingRequest,
  key: string,
  st: number,
  at: number,
): void {
  if (req.method === 'REGISTER' || req.followUp) c.trust.mark(key, at);
  // A source that never failed cannot have cracked anything: every working phone stops here.
  if (st < 0) return;
  const t = c.ips.cols(st);
  const o = off(st);
  if (t.failTotal[o] === 0) return;
  if (req.method !== 'REGISTER' && req.method !== 'INVITE') return;
  const user = targetUser(req);
  if (user === null) return;
  let failures = 0;
  if (t.freshFails[o]! >= c.breachMin && hasUser(c.ips, st, user)) {
    failures = t.failTotal[o]!;
    t.freshFails[o] = 0;
  } else if (c.distSources > 0) {
    const ext = c.ext.get(user);
    if (ext !== undefined && ext.size >= 2 && c.ext.hasSource(user, key, at)) {
      failures = ext.failures;
      c.ext.dropSource(ext, key);
    }
  }
  if (failures === 0) return;
  c.alert({
    at,
    kind: 'breach',
    ip: req.remote,
    user,
    dialled: null,
    failures,
    sources: [],
    userAgent: req.userAgent,
    transport: req.transport,
    port: req.port,
  });
}

/** An INVITE to the outside number `dialled` rang or connected (180/183/2xx). */
export function onOutsideCall(
  c: DetectContext,
  req: PendingRequest,
  dialled: string,
  digits: string,
  at: number,
): void {
  if (req.alerted) return;
  const base = {
    at,
    ip: req.remote,
    user: req.authUser,
    dialled,
    sources: [],
    userAgent: req.userAgent,
    transport: req.transport,
    port: req.port,
  };
  let raised = false;
  if (watchedPrefix(digits, c.tollWatch) !== null) {
    c.alert({ ...base, kind: 'watched-call', failures: 0 });
    raised = true;
  }
  const st = c.ips.get(c.prefix.key(req.remote));
  const t = st >= 0 ? c.ips.cols(st) : null;
  const o = off(st);
  if (t !== null && t.failTotal[o]! >= c.breachMin) {
    c.alert({ ...base, kind: 'breach', failures: t.failTotal[o]! });
    t.failTotal[o] = 0;
    raised = true;
  }
  if (raised) c.requests.markAlerted();
}
