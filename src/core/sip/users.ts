/**
 * The users a request is about, from the fields the request table keeps (match.ts): the
 * Request-URI's user, the account a request targets (REGISTER: the To user), the user
 * reported to admins (the credentials' username first), and `detach` for strings kept in
 * long-lived state. Split from match.ts, which owns the table that pairs requests with
 * their answers.
 */
/** The fields of a pending request (match.ts's PendingRequest) the users come from. */
interface RequestUsers {
  method: string;
  toUser: string | null;
  uriUser: string | null;
  authUser: string | null;
}

/** The user part of a SIP/SIPS/TEL URI, or null. Tolerates `<...>` and parameters. */
export function uriUser(uri: string | null): string | null {
  if (uri === null) return null;
  const lt = uri.indexOf('<');
  const start = lt < 0 ? 0 : lt + 1;
  const colon = uri.indexOf(':', start);
  const n = colon - start;
  if (n !== 3 && n !== 4) return null;
  // Scheme compared case-insensitively without slicing (this runs for every request).
  const c0 = uri.charCodeAt(start) | 0x20;
  const c1 = uri.charCodeAt(start + 1) | 0x20;
  const c2 = uri.charCodeAt(start + 2) | 0x20;
  if (n === 3 && c0 === 0x74 && c1 === 0x65 && c2 === 0x6c) {
    // tel:
    let end = colon + 1;
    while (end < uri.length) {
      const c = uri.charCodeAt(end);
      if (c === 0x3b || c === 0x3e || c === 0x3f) break; // ; > ?
      end++;
    }
    return end > colon + 1 ? uri.slice(colon + 1, end) : null;
  }
  const sip = c0 === 0x73 && c1 === 0x69 && c2 === 0x70;
  if (!sip || (n === 4 && (uri.charCodeAt(start + 3) | 0x20) !== 0x73)) return null;
  const at = uri.indexOf('@', colon + 1);
  if (at <= colon + 1) return null;
  const pw = uri.indexOf(':', colon + 1);
  const end = pw >= 0 && pw < at ? pw : at;
  return end > colon + 1 ? uri.slice(colon + 1, end) : null;
}

/**
 * The account a request is about, the same with or without credentials (a follow-up
 * after a challenge must find the challenge): the To user for REGISTER (the address of
 * record), the Request-URI user otherwise, falling back to To.
 */
export function identityUser(req: Omit<RequestUsers, 'authUser'>): string | null {
  if (req.method === 'REGISTER') return req.toUser ?? req.uriUser;
  return req.uriUser ?? req.toUser;
}

/** The user an attempt targeted, as reported to admins: the credentials' username first. */
export function targetUser(req: RequestUsers): string | null {
  return req.authUser ?? identityUser(req);
}

/**
 * Strings we keep may be slices of a whole packet's text; V8 then keeps the packet
 * alive. Short slices (< 13 chars) are copied by V8 anyway; longer ones are copied here.
 */
export function detach(s: string | null): string | null {
  if (s === null || s.length < 13) return s;
  return (' ' + s).slice(1);
}
