/** The sentences that explain a decision to an admin (block records, mails, the UI). */
import type { Verdict } from '../types.js';

function userList(users: readonly string[], max = 5): string {
  const shown = users.slice(0, max).join(', ');
  return users.length > max ? `${shown} and ${users.length - max} more` : shown;
}

function agent(ua: string | null): string {
  return ua === null ? 'no user agent' : `user agent "${ua}"`;
}

/** Why a verdict blocked an address. */
export function blockNote(v: Verdict): string {
  switch (v.rule) {
    case 'scanner':
      if (v.detail !== undefined) return `scanner: ${v.detail}, ${agent(v.userAgent)}`;
      return `scanner ${agent(v.userAgent)}`;
    case 'enumeration': {
      const who = v.users.length > 0 ? ` (${userList(v.users)})` : '';
      return `enumeration: ${v.attempts} users or challenges probed without success${who}, ${agent(v.userAgent)}`;
    }
    case 'auth-failures': {
      const who = v.users.length > 0 ? ` for ${userList(v.users)}` : '';
      const base = `${v.attempts} failed authentication attempts${who}, ${agent(v.userAgent)}`;
      if (!v.misconfiguredPhone) return base;
      const ext = v.users[0] ?? 'its extension';
      return `${base}; looks like a misconfigured phone (one user, one Call-ID, regular retries): check extension ${ext} on the phone or the PBX`;
    }
    case 'toll-fraud':
      return `toll-fraud probing: ${v.attempts} refused calls to outside numbers without authenticating; ${v.detail ?? `dialled ${userList(v.users)}`}, ${agent(v.userAgent)}`;
    case 'slow-attack': {
      const who = v.users.length > 0 ? ` for ${userList(v.users)}` : '';
      return `slow attack: ${v.detail ?? `${v.attempts} failed attempts`}${who}, ${agent(v.userAgent)}`;
    }
    case 'distributed':
      return `distributed guessing: ${v.detail ?? `extension ${userList(v.users)} attacked from many addresses`}, this address among them`;
    case 'flood':
      return `flood: ${v.detail ?? `${v.attempts} requests`}, ${agent(v.userAgent)}`;
  }
}

/** Why an address became permanent. */
export function permanentNote(earlier: number, v: Pick<Verdict, 'rule' | 'userAgent'>): string {
  return `permanent after ${earlier} dynamic blocks (${v.rule}, ${agent(v.userAgent)})`;
}
