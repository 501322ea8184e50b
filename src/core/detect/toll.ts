/**
 * Toll-fraud probing: INVITEs to outside numbers from a source that never authenticated,
 * answered with a refusal. Attack tools (SIPVicious svwar -m INVITE, sippts sipinvite,
 * sipp scripts) dial the same destination in every dial-prefix permutation a PBX might
 * route (`9011972…`, `900972…`, `011972…`, `00972…`, `+972…`, `972…`) and need no
 * password to learn which one an open dialplan lets through.
 *
 * An outside number: the Request-URI user is digits (a leading `+` allowed), at least
 * TOLL_MIN_DIGITS of them (default 8: longer than any extension plan, shorter than any
 * international number), or `+` and at least 5 digits.
 *
 * A probe: such an INVITE answered 401/407 (challenge or wrong password), 403, 404,
 * 484 or 503, from a source that is not trusted (trust.ts). A challenge followed up
 * with credentials (a phone that does not register but authenticates its calls) takes
 * its probe back, so only unanswered or refused calls add up. TOLL_COUNT probes within
 * MONIT_PERIOD → verdict `toll-fraud`, whose users and note list the numbers dialled.
 */

/** The dialled number's digits ('+' dropped), or null if it is not an outside number. */
export function outsideNumber(user: string | null, minDigits: number): string | null {
  if (user === null) return null;
  const plus = user.charCodeAt(0) === 43;
  const from = plus ? 1 : 0;
  const n = user.length - from;
  if (n < (plus ? 5 : minDigits) || n > 32) return null;
  for (let i = from; i < user.length; i++) {
    const c = user.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return plus ? user.slice(1) : user;
}

const DIAL_OUT = ['9', '0'];
const INTERNATIONAL = ['00', '011'];

/**
 * The dialled digits with a dial-out digit and an international prefix taken off, in
 * every reading: `9011972…` → 9011972…, 011972…, 972…; `00972…` → 00972…, 972…, 0972….
 */
export function numberReadings(digits: string): string[] {
  const out = [digits];
  const bases = [digits];
  for (const d of DIAL_OUT) if (digits.startsWith(d)) bases.push(digits.slice(d.length));
  for (const b of bases) {
    if (b !== digits) out.push(b);
    for (const p of INTERNATIONAL) if (b.startsWith(p)) out.push(b.slice(p.length));
  }
  return out;
}

/** The watched prefix the number reaches in some reading, or null. */
export function watchedPrefix(digits: string, watch: readonly string[]): string | null {
  if (watch.length === 0) return null;
  for (const r of numberReadings(digits)) {
    for (const p of watch) if (r.startsWith(p)) return p;
  }
  return null;
}

/** Answers to an INVITE that make it a toll-fraud probe. */
export function isTollRefusal(status: number): boolean {
  return (
    status === 401 || status === 407 || status === 403 || status === 404 || status === 484 || status === 503
  );
}

/**
 * Adds a probe (by Call-ID hash) to [hash, time, ...], dropping those outside the window;
 * returns the probes within it. A probe of the same call again (a retransmitted INVITE
 * answered once more) is one probe.
 */
export function addTollProbe(toll: number[], call: number, at: number, period: number): number {
  let w = 0;
  let found = false;
  for (let r = 0; r < toll.length; r += 2) {
    if (at - toll[r + 1]! >= period) continue;
    if (toll[r] === call) found = true;
    toll[w] = toll[r]!;
    toll[w + 1] = toll[r + 1]!;
    w += 2;
  }
  toll.length = w;
  if (!found) toll.push(call, at);
  return toll.length / 2;
}

/** Takes back the probe of a call that followed its challenge up with credentials. */
export function dropTollProbe(toll: number[], call: number): void {
  for (let r = 0; r < toll.length; r += 2) {
    if (toll[r] === call) {
      toll.splice(r, 2);
      return;
    }
  }
}

/** Records a dialled number, most recent first, at most 8. */
export function addDialled(list: string[], n: string): void {
  const i = list.indexOf(n);
  if (i === 0) return;
  if (i > 0) list.splice(i, 1);
  list.unshift(n);
  if (list.length > 8) list.pop();
}
