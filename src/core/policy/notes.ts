/**
 * The sentences that explain a decision to an admin (block records, mails, the UI).
 *
 * A note lives as long as its block, so it is built as one flat string (`join` of its
 * parts) rather than a template: a template leaves a tree of V8 cons strings (one 32-byte
 * node per piece) that every block carries and every scavenge copies. In the issue-13
 * flood (52k distributed blocks in 150k messages) a note was ~5.4 cons nodes and the
 * pieces they hold (~216 bytes); flat it is its characters and one header (~130 bytes).
 */
import type { Verdict } from '../types.js';

function userList(users: readonly string[], max = 5): string {
  const shown = users.slice(0, max).join(', ');
  return users.length > max ? `${shown} and ${users.length - max} more` : shown;
}

function agent(ua: string | null): string {
  return ua === null ? 'no user agent' : `user agent "${ua}"`;
}

/** One flat string of `parts` (a template would keep each piece behind a cons node). */
function flat(...parts: (string | number)[]): string {
  return parts.join('');
}

/** Why a verdict blocked an address. */
export function blockNote(v: Verdict): string {
  switch (v.rule) {
    case 'scanner':
      if (v.detail !== undefined) return flat('scanner: ', v.detail, ', ', agent(v.userAgent));
      return flat('scanner ', agent(v.userAgent));
    case 'enumeration': {
      const who = v.users.length > 0 ? ` (${userList(v.users)})` : '';
      return flat(
        'enumeration: ',
        v.attempts,
        ' users or challenges probed without success',
        who,
        ', ',
        agent(v.userAgent),
      );
    }
    case 'auth-failures': {
      const who = v.users.length > 0 ? ` for ${userList(v.users)}` : '';
      const base = `${v.attempts} failed authentication attempts${who}, ${agent(v.userAgent)}`;
      if (!v.misconfiguredPhone) return flat(base, '');
      const ext = v.users[0] ?? 'its extension';
      return flat(
        base,
        '; looks like a misconfigured phone (one user, one Call-ID, regular retries): check extension ',
        ext,
        ' on the phone or the PBX',
      );
    }
    case 'toll-fraud':
      return flat(
        'toll-fraud probing: ',
        v.attempts,
        ' refused calls to outside numbers without authenticating; ',
        v.detail ?? `dialled ${userList(v.users)}`,
        ', ',
        agent(v.userAgent),
      );
    case 'slow-attack': {
      const who = v.users.length > 0 ? ` for ${userList(v.users)}` : '';
      return flat(
        'slow attack: ',
        v.detail ?? `${v.attempts} failed attempts`,
        who,
        ', ',
        agent(v.userAgent),
      );
    }
    case 'distributed':
      return flat(
        'distributed guessing: ',
        v.detail ?? `extension ${userList(v.users)} attacked from many addresses`,
        ', this address among them',
      );
    case 'flood':
      return flat('flood: ', v.detail ?? `${v.attempts} requests`, ', ', agent(v.userAgent));
  }
}

/** Why an address became permanent (flat, with the block's note after it). */
export function permanentNote(earlier: number, v: Pick<Verdict, 'rule' | 'userAgent'>, note: string): string {
  return flat(
    'permanent after ',
    earlier,
    ' dynamic blocks (',
    v.rule,
    ', ',
    agent(v.userAgent),
    '); ',
    note,
  );
}

/** The note of a "would block" of a rule in observe mode (flat). */
export function observeNote(note: string): string {
  return flat('would block (OBSERVE): ', note);
}

/** Why an address of a held prefix is blocked (flat): the prefix and its last 5 blocked addresses. */
export function prefixNote(key: string, ips: readonly string[], reason: string): string {
  return flat(
    'address of ',
    key,
    ', where ',
    ips.length,
    ' addresses were blocked (',
    reason,
    '): ',
    ips.slice(-5).join(', '),
  );
}
