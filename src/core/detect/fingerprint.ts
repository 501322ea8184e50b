/**
 * Attack tools recognised by the template of their requests, whatever their User-Agent
 * says (renamed, or removed as in SIPVicious' compact mode). Each template is read from
 * the tool's own source; FINGERPRINTS.md beside this file says where, what each field
 * looks like, and why no phone matches it.
 *
 * Only fields every request already carries are used (Via branch, Call-ID, From/To
 * users), and each template needs two independent marks, so one odd field of a real
 * phone never matches. Cost per request: one or two character tests in the common case
 * (a branch that starts with the RFC 3261 cookie and is not followed by '-').
 */
import type { SipMessage } from '../types.js';

export type ToolTemplate = 'sipvicious' | 'sippts' | 'nmap';

/** Human names for block notes. */
export const TEMPLATE_NAMES: Readonly<Record<ToolTemplate, string>> = {
  sipvicious: 'SIPVicious (svmap/svwar/svcrack) request template',
  sippts: 'SIPPTS (pepelux) request template',
  nmap: 'nmap SIPOptions service probe',
};

const COOKIE = 'z9hG4bK';

function isDigits(s: string, from: number, min: number, max: number): boolean {
  const n = s.length - from;
  if (n < min || n > max) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** SIPVicious: `branch=z9hG4bK-<decimal 32-bit>` and a Call-ID of decimal digits only. */
function isSipvicious(branch: string, callId: string | null): boolean {
  if (branch.charCodeAt(7) !== 45 || !branch.startsWith(COOKIE)) return false;
  return isDigits(branch, 8, 1, 10) && callId !== null && isDigits(callId, 0, 1, 25);
}

/** SIPPTS: a 71-character [0-9a-z] branch without the RFC 3261 cookie, a 32-hex-digit Call-ID. */
function isSippts(branch: string, callId: string | null): boolean {
  if (branch.length !== 71 || callId === null || callId.length !== 32) return false;
  if (branch.startsWith(COOKIE)) return false;
  for (let i = 0; i < 71; i++) {
    const c = branch.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122))) return false;
  }
  for (let i = 0; i < 32; i++) {
    const c = callId.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** The tool whose template this request follows, or null (every phone, every PBX). */
export function toolTemplate(msg: SipMessage): ToolTemplate | null {
  const branch = msg.branch;
  if (branch !== null) {
    if (branch.length <= 18 && isSipvicious(branch, msg.callId)) return 'sipvicious';
    if (branch.length === 71 && isSippts(branch, msg.callId)) return 'sippts';
    if (branch === 'foo' && msg.callId === '50000') return 'nmap';
  }
  if (msg.fromUser === 'nm' && msg.toUser === 'nm2') return 'nmap';
  return null;
}
