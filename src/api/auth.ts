/**
 * Login for the TCP listener: server-side sessions in the store (keyed by a hash of the
 * cookie, so a copy of the database opens no session), a CSRF token per session that
 * every state change must echo in a header. Guessing is bounded in login-guard.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SipprotError } from '../core/errors.js';
import { GENERATED_KEY, hashFingerprint, PASSWORD_KEY, verifyPassword } from '../platform/admin-password.js';
import type { Store } from '../ports/store.js';

const SESSION_COOKIE = 'sipprot_session';
const CSRF_COOKIE = 'sipprot_csrf';
const CSRF_HEADER = 'x-csrf-token';
/** A session lasts at most this long, and ends after IDLE_SECONDS without a request. */
const SESSION_MAX_SECONDS = 12 * 3600;
const IDLE_SECONDS = 2 * 3600;
/** Sliding expiry is written at most this often (a store write per request would be waste). */
const TOUCH_SECONDS = 300;

export interface Session {
  /** Store key: sha256 of the cookie value. */
  key: string;
  csrf: string;
  createdAt: number;
  lastSeen: number;
  /** Fingerprint of the password hash the session was opened with. */
  fp: string;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name && !(name in out)) out[name] = value;
  }
  return out;
}

const storeKey = (cookie: string) => `web:${createHash('sha256').update(cookie).digest('base64url')}`;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
  ) {}

  private expiry(s: Pick<Session, 'createdAt' | 'lastSeen'>): number {
    return Math.min(s.createdAt + SESSION_MAX_SECONDS, s.lastSeen + IDLE_SECONDS);
  }

  /** Opens a session; returns the cookie value (shown to nobody but the browser). */
  async create(): Promise<{ cookie: string; session: Session }> {
    const now = this.clock();
    const cookie = randomBytes(32).toString('base64url');
    const fp = hashFingerprint(await this.store.getSetting(PASSWORD_KEY));
    const session: Session = {
      key: storeKey(cookie),
      csrf: randomBytes(24).toString('base64url'),
      createdAt: now,
      lastSeen: now,
      fp,
    };
    const { key, ...data } = session;
    await this.store.createSession(key, data, this.expiry(session));
    return { cookie, session };
  }

  /**
   * The live session for a request's cookie, or null (unknown, expired, password changed).
   * `touch: false` checks without counting as activity (the live view's heartbeat must not
   * keep an unattended browser logged in).
   */
  async lookup(req: FastifyRequest, opts: { touch?: boolean } = {}): Promise<Session | null> {
    const cookie = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (!cookie || !/^[A-Za-z0-9_-]{20,100}$/.test(cookie)) return null;
    const key = storeKey(cookie);
    const now = this.clock();
    const data = await this.store.getSession(key, now);
    if (!data || typeof data.csrf !== 'string' || typeof data.fp !== 'string') return null;
    const session: Session = {
      key,
      csrf: data.csrf,
      createdAt: Number(data.createdAt),
      lastSeen: Number(data.lastSeen),
      fp: data.fp,
    };
    if (session.fp !== hashFingerprint(await this.store.getSetting(PASSWORD_KEY))) {
      await this.store.deleteSession(key);
      return null;
    }
    if (opts.touch !== false && now - session.lastSeen >= TOUCH_SECONDS) {
      session.lastSeen = now;
      const { key: _k, ...rest } = session;
      await this.store.createSession(key, rest, this.expiry(session));
    }
    return session;
  }

  expiresAt(s: Session): number {
    return this.expiry(s);
  }

  async destroy(s: Session): Promise<void> {
    await this.store.deleteSession(s.key);
  }
}

export function cookieHeader(
  name: string,
  value: string,
  opts: { httpOnly: boolean; maxAge: number; secure: boolean },
): string {
  const parts = [
    `${name}=${value}`,
    'Path=/',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(opts.maxAge))}`,
  ];
  if (opts.httpOnly) parts.push('HttpOnly');
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

export function setSessionCookies(
  reply: FastifyReply,
  cookie: string,
  csrf: string,
  maxAge: number,
  secure: boolean,
  extra: string[] = [],
): void {
  reply.header('set-cookie', [
    ...extra,
    cookieHeader(SESSION_COOKIE, cookie, { httpOnly: true, maxAge, secure }),
    // Readable by the page's script for the double-submit header (the UI also gets it from /api/session).
    cookieHeader(CSRF_COOKIE, csrf, { httpOnly: false, maxAge, secure }),
  ]);
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  reply.header('set-cookie', [
    cookieHeader(SESSION_COOKIE, '', { httpOnly: true, maxAge: 0, secure }),
    cookieHeader(CSRF_COOKIE, '', { httpOnly: false, maxAge: 0, secure }),
  ]);
}

export function assertCsrf(req: FastifyRequest, session: Session): void {
  const header = req.headers[CSRF_HEADER];
  const token = Array.isArray(header) ? header[0] : header;
  if (!token || !sameText(token, session.csrf)) {
    throw new SipprotError(
      'SP_ERR_CSRF',
      `missing or wrong ${CSRF_HEADER} header: reload the page (changes need the token from GET /api/session)`,
    );
  }
}

/** Checks the password; SP_ERR_AUTH for a wrong one or when none is set. */
export async function checkPassword(store: Store, password: unknown): Promise<void> {
  const stored = await store.getSetting(PASSWORD_KEY);
  if (stored === null) {
    throw new SipprotError('SP_ERR_AUTH', 'no admin password is set: set one with "sipprot passwd"');
  }
  if (typeof password !== 'string' || password === '' || !(await verifyPassword(password, stored))) {
    throw new SipprotError('SP_ERR_AUTH', 'wrong password');
  }
}

export async function mustChangePassword(store: Store): Promise<boolean> {
  return (await store.getSetting(GENERATED_KEY)) === '1';
}
