/**
 * The administrator password: scrypt hashes kept in the store's settings, never the
 * password itself. One admin account; `sipprot passwd` (cli/) sets it, the web login
 * (api/) checks it, or the daemon generates a one-time password at first start and logs
 * it once. Here, in platform/, because the CLI and the API both need it and neither may
 * import the other.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { SipprotError } from '../core/errors.js';

/** The store's small key/value settings (ports/store.ts Store has them). */
export interface PasswordSettings {
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string | null): Promise<void>;
}

export const PASSWORD_KEY = 'admin.password';
/** '1' while the generated first-start password is in use (the UI asks to change it). */
export const GENERATED_KEY = 'admin.passwordGenerated';
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1024;

/** OWASP's scrypt minimum is N=2^17,r=8,p=1; 2^15 keeps a login under ~100 ms on a small PBX. */
const PARAMS = { N: 2 ** 15, r: 8, p: 1, keyLen: 32 };

function scrypt(password: string, salt: Buffer, p: typeof PARAMS): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(
      password.normalize('NFC'),
      salt,
      p.keyLen,
      { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (salt and hash base64url): self-describing, so parameters can grow. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/** False for a wrong password and for a hash this code cannot read (never throws on input). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const sane = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max;
  if (!sane(N, 2 ** 20) || !sane(r, 32) || !sane(p, 16) || expected.length < 16 || salt.length < 8) {
    return false;
  }
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const key = await scrypt(password, salt, { N, r, p, keyLen: expected.length });
  return timingSafeEqual(key, expected);
}

/** What is wrong with a new password, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `the password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  }
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'the password must not contain control characters';
  return null;
}

/** 20 characters from an unambiguous alphabet (no 0/O, 1/l/I): ~115 bits. */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const out: string[] = [];
  while (out.length < 20) {
    for (const b of randomBytes(32)) {
      // Rejection sampling keeps every character equally likely.
      if (b < 256 - (256 % alphabet.length) && out.length < 20) out.push(alphabet[b % alphabet.length]!);
    }
  }
  return out.join('');
}

/** Stores a new admin password (validated). `generated` marks a one-time first-start password. */
export async function setAdminPassword(
  store: PasswordSettings,
  password: string,
  generated = false,
): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new SipprotError('SP_ERR_USAGE', problem);
  await store.setSetting(PASSWORD_KEY, await hashPassword(password));
  await store.setSetting(GENERATED_KEY, generated ? '1' : null);
}

/**
 * A short fingerprint of the stored hash. Sessions remember it, so changing the password
 * (here or with `sipprot passwd`) ends every session that was opened with the old one.
 */
export function hashFingerprint(stored: string | null): string {
  return stored === null ? '' : createHash('sha256').update(stored).digest('base64url').slice(0, 16);
}
