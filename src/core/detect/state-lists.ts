/**
 * The per-source lists of detection state (state.ts has the table and its columns): users,
 * earlier failing dialogs, probed users, unanswered challenges, toll probes, dialled
 * numbers. Most sources need at most two users and one earlier dialog, kept in columns
 * (16 + 13 bytes a source); longer lists and the rare ones live in a `SourceExtra` made
 * only for the sources that need it. Each function keeps the exact semantics the lists had
 * as plain arrays (order, caps, what is dropped first), so verdicts do not change.
 */
import { type IpTable, off, type SourceExtra } from './state.js';
import { within } from './window.js';

/** The source's extra lists, made on first use. */
export function extraOf(t: IpTable, s: number): SourceExtra {
  let x = t.extra.get(s);
  if (x === undefined) {
    x = {
      users: null,
      dialogs: null,
      probes: null,
      unanswered: null,
      unansweredHead: 0,
      toll: null,
      dialled: null,
    };
    t.extra.set(s, x);
  }
  return x;
}

/** Records `user` as most recent, keeping at most `cap` distinct users. */
export function addUser(t: IpTable, s: number, user: string | null, cap: number): void {
  if (user === null) return;
  const list = t.extra.get(s)?.users;
  if (list) {
    const i = list.indexOf(user);
    if (i === 0) return;
    if (i > 0) list.splice(i, 1);
    list.unshift(t.names.of(user));
    if (list.length > cap) list.pop();
    return;
  }
  const c = t.cols(s);
  const o = off(s);
  const a = c.user0[o]!;
  const b = c.user1[o]!;
  if (a === null) {
    c.user0[o] = t.names.of(user);
  } else if (a === user) {
    return;
  } else if (cap <= 1) {
    c.user0[o] = t.names.of(user);
  } else if (b === null || b === user) {
    c.user1[o] = a;
    c.user0[o] = b === user ? b : t.names.of(user);
  } else if (cap === 2) {
    c.user1[o] = a;
    c.user0[o] = t.names.of(user);
  } else {
    extraOf(t, s).users = [t.names.of(user), a, b];
    c.user0[o] = null;
    c.user1[o] = null;
  }
}

/** The users recorded for a source, most recent first. */
export function usersOf(t: IpTable, s: number): string[] {
  const list = t.extra.get(s)?.users;
  if (list) return list.slice();
  const c = t.cols(s);
  const a = c.user0[off(s)]!;
  if (a === null) return [];
  const b = c.user1[off(s)]!;
  return b === null ? [a] : [a, b];
}

/** Whether `user` is among the users recorded for the source. */
export function hasUser(t: IpTable, s: number, user: string): boolean {
  const list = t.extra.get(s)?.users;
  if (list) return list.includes(user);
  const c = t.cols(s);
  return c.user0[off(s)] === user || c.user1[off(s)] === user;
}

/**
 * Takes the earlier failing dialog `d` out of the source's list: 1 if it was there with a
 * lower CSeq than `cseq` (the dialog continues), 0 if there with a CSeq not below, -1 if
 * not there.
 */
export function takeDialog(t: IpTable, s: number, d: number, cseq: number): number {
  const x = t.extra.get(s);
  const list = x?.dialogs;
  if (list) {
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] !== d) continue;
      const rising = cseq > list[i + 1]!;
      list.splice(i, 2);
      if (list.length === 0) x!.dialogs = null;
      return rising ? 1 : 0;
    }
    return -1;
  }
  const c = t.cols(s);
  const o = off(s);
  if (c.dlgFlag[o] === 0 || c.dlgHash[o] !== d) return -1;
  c.dlgFlag[o] = 0;
  return cseq > c.dlgCseq[o]! ? 1 : 0;
}

/** Appends an earlier failing dialog, at most `cap` (the oldest dropped). */
export function pushDialog(t: IpTable, s: number, d: number, cseq: number, cap: number): void {
  const x = t.extra.get(s);
  const c = t.cols(s);
  const o = off(s);
  if (x?.dialogs) {
    x.dialogs = withPair(x.dialogs, d, cseq, cap);
  } else if (c.dlgFlag[o] === 0) {
    if (cap < 1) return;
    c.dlgFlag[o] = 1;
    c.dlgHash[o] = d;
    c.dlgCseq[o] = cseq;
  } else {
    c.dlgFlag[o] = 0;
    extraOf(t, s).dialogs = withPair([c.dlgHash[o]!, c.dlgCseq[o]!], d, cseq, cap);
  }
}

/**
 * Adds a probed user (by hash) at `at`, dropping probes older than the window first.
 * Returns the number of distinct users probed within the window (at most `cap`).
 */
export function addProbe(t: IpTable, s: number, h: number, at: number, period: number, cap: number): number {
  const x = extraOf(t, s);
  const p = x.probes;
  if (p === null) {
    x.probes = [h, at];
    return 1;
  }
  let w = 0;
  let found = false;
  for (let r = 0; r < p.length; r += 2) {
    if (!within(at, p[r + 1]!, period)) continue;
    const same = p[r] === h;
    p[w] = p[r]!;
    p[w + 1] = same ? at : p[r + 1]!;
    if (same) found = true;
    w += 2;
  }
  p.length = w;
  if (!found) {
    if (w >= 2 * cap) p.splice(0, 2);
    p.push(h, at);
  }
  return p.length / 2;
}

/** Forgets a probed user (it succeeded). */
export function removeProbe(t: IpTable, s: number, h: number): void {
  const p = t.extra.get(s)?.probes;
  if (!p) return;
  for (let r = 0; r < p.length; r += 2) {
    if (p[r] === h) {
      p.splice(r, 2);
      return;
    }
  }
}

/**
 * `arr` with the pair (a, b) appended, at most `cap` pairs (the oldest pair dropped).
 * Arrays here are sized exactly: a push past an array literal would grow V8's backing
 * store to 16+ slots (~150 bytes).
 */
export function withPair(arr: number[] | null, a: number, b: number, cap: number): number[] {
  if (arr === null) return [a, b];
  if (arr.length >= 2 * cap) {
    arr.copyWithin(0, 2);
    arr[arr.length - 2] = a;
    arr[arr.length - 1] = b;
    return arr;
  }
  const out = new Array<number>(arr.length + 2);
  for (let i = 0; i < arr.length; i++) out[i] = arr[i]!;
  out[arr.length] = a;
  out[arr.length + 1] = b;
  return out;
}
