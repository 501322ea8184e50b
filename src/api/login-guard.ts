/**
 * Login guessing, bounded without handing an attacker a way to lock the admin out
 * (issue 10 item 5: 38 loopback addresses got 190 guesses in seconds, and a local user
 * could make the admin's correct password fail for 60 s).
 *
 * - Known browsers: a successful login leaves a device cookie (a random id and its HMAC
 *   under a secret kept in the store; HttpOnly, SameSite=Strict, 180 days). A login that
 *   carries a valid one is counted for that browser alone: nobody else can make it wait,
 *   so the admin's usual browser always gets in with the right password, whatever anyone
 *   else sends. An attacker cannot forge the cookie without the secret.
 * - Everyone else, per source (an IPv4 address, an IPv6 /64): PER_SOURCE failures within
 *   15 minutes, then a backoff that doubles from 60 s up to 15 minutes.
 * - Everyone else, together: at most GLOBAL failures a minute from all sources without a
 *   known-browser cookie; beyond it those logins wait (429) until the minute drains. So
 *   a thousand sources buy no more than GLOBAL guesses a minute (~43k a day against a
 *   password of at least 10 characters; the generated one has ~115 bits).
 * Memory: at most MAX_TRACKED keys (the oldest is forgotten first).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SipprotError } from '../core/errors.js';
import { parseAddress } from '../core/net/ip.js';

const WINDOW_SECONDS = 15 * 60;
const FIRST_BACKOFF = 60;
const MAX_BACKOFF = 15 * 60;
const GLOBAL_WINDOW = 60;
const MAX_TRACKED = 10_000;

export const DEVICE_COOKIE = 'sipprot_device';
export const DEVICE_MAX_AGE = 180 * 86400;
/** The store setting holding the device-cookie secret. */
export const DEVICE_SECRET_KEY = 'web.deviceSecret';

export interface LoginGuardOptions {
  /** Failures per source (or known browser) before the backoff starts (default 5). */
  perSource?: number;
  /** Failures a minute from all unknown browsers together (default 30). */
  global?: number;
}

/** Who a login attempt counts against. */
export interface LoginKey {
  key: string;
  /** A known browser (valid device cookie): exempt from the global limit. */
  known: boolean;
}

export class LoginGuard {
  private readonly failures = new Map<string, number[]>();
  private readonly anonymous: number[] = [];
  private readonly perSource: number;
  private readonly global: number;

  constructor(
    private readonly clock: () => number,
    opts: LoginGuardOptions = {},
  ) {
    this.perSource = opts.perSource ?? 5;
    this.global = opts.global ?? 30;
  }

  /** The key of an attempt: the known browser's id, else the source (IPv6: its /64). */
  static keyOf(ip: string, device: string | null): LoginKey {
    if (device) return { key: `device:${device}`, known: true };
    const a = parseAddress(ip);
    // One IPv6 customer holds a /64: rotating inside it is one source.
    if (a?.family === 6)
      return { key: `net:${Buffer.from(a.bytes.subarray(0, 8)).toString('hex')}/64`, known: false };
    return { key: `ip:${a?.text ?? ip}`, known: false };
  }

  /** Throws SP_ERR_RATE_LIMITED (429, Retry-After) while this attempt must wait. */
  assertAllowed(k: LoginKey): void {
    const now = this.clock();
    const list = this.recent(k.key, now);
    let wait = 0;
    if (list.length >= this.perSource) {
      const backoff = Math.min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (list.length - this.perSource));
      wait = list[list.length - 1]! + backoff - now;
    }
    if (!k.known) {
      this.drainGlobal(now);
      if (this.anonymous.length >= this.global) {
        wait = Math.max(wait, this.anonymous[0]! + GLOBAL_WINDOW - now);
      }
    }
    if (wait <= 0) return;
    const retry = Math.max(1, Math.ceil(wait));
    const who = k.known ? 'this browser' : 'unknown browsers';
    throw new SipprotError(
      'SP_ERR_RATE_LIMITED',
      `too many failed logins from ${who}: try again in ${retry} s`,
      {
        details: { retryAfter: retry },
      },
    );
  }

  fail(k: LoginKey): void {
    const now = this.clock();
    const list = this.recent(k.key, now);
    list.push(now);
    this.failures.delete(k.key);
    this.failures.set(k.key, list);
    if (this.failures.size > MAX_TRACKED) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    if (!k.known) this.anonymous.push(now);
  }

  succeed(k: LoginKey): void {
    this.failures.delete(k.key);
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_SECONDS);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  private drainGlobal(now: number): void {
    while (this.anonymous.length > 0 && now - this.anonymous[0]! >= GLOBAL_WINDOW) this.anonymous.shift();
  }
}

/** A new device cookie value: id.hmac (base64url). */
export function newDeviceCookie(secret: string): string {
  const id = randomBytes(16).toString('base64url');
  return `${id}.${mac(secret, id)}`;
}

/** The id of a valid device cookie, or null (absent, malformed, forged). */
export function deviceId(secret: string | null, value: string | undefined): string | null {
  if (!secret || !value || !/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/.test(value)) return null;
  const [id, sig] = value.split('.') as [string, string];
  const want = Buffer.from(mac(secret, id));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got) ? id : null;
}

function mac(secret: string, id: string): string {
  return createHmac('sha256', secret).update(`sipprot-device:${id}`).digest('base64url');
}

/** A fresh secret for device cookies (kept in the store's settings). */
export function newDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}
