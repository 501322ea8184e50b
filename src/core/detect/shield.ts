/**
 * One spoofed packet must not block anyone who matters (issue 10 item 7). A UDP source
 * address costs nothing to forge, and evidence that needs no answer — a scanner
 * User-Agent, an attack tool's request template, a flood — can be forged in the name of
 * the admin's address, a SIP trunk or the host's DNS resolver.
 *
 * So for a source that has PROVED ITSELF RECENTLY (trust.ts: the server accepted its
 * credentials; or a request the server itself sent there was answered 2xx: a trunk, a
 * registrar — outbound.ts) such evidence only raises a 'shielded' alert; it blocks once the
 * same source completes an exchange a forger cannot: a request echoing the nonce of a
 * challenge the server sent to that address (echo table below: the challenge went to the
 * real peer, never to the forger). Rules counted on answers (failed passwords,
 * enumeration) stay as they are: the phone with a wrong password is still blocked.
 *
 * For a PROTECTED PEER (the host's own addresses, resolvers, gateways, SSH and web admin
 * sessions, PROTECTED_PEERS: a lookup the daemon hands in) no rule ever blocks: a verdict
 * becomes an alert. That is the lock-out guard of core/lists/lockout.ts for dynamic blocks.
 *
 * The echo table: 2^15 two-way buckets of (time, 30-bit confirm hash) keyed by a hash of
 * remote + nonce, 384 KB, no allocation per challenge; a challenge is remembered for
 * ECHO_SECONDS. A lost entry only means a real scanner at a proven address is not
 * blocked at that request (it still raises the alert).
 */
import { HASH, hashEnd, hashStartWith, hashStr } from '../sip/match-hash.js';

export const ECHO_SECONDS = 120;
/** One shielded alert per source per this long: a forger must not flood the alert path. */
export const SHIELD_ALERT_SECONDS = 600;
const BUCKETS = 1 << 15;
const MASK = BUCKETS - 1;

function hashOf(remote: string, nonce: string): void {
  // The remote's part is remembered: the answer's request key hashes it next (match.ts).
  hashStartWith(remote);
  hashStr(nonce);
  hashEnd();
}

export class EchoTable {
  private readonly time = new Float64Array(2 * BUCKETS).fill(Number.NEGATIVE_INFINITY);
  private readonly verify = new Int32Array(2 * BUCKETS);

  /** The server challenged `remote` with `nonce` at `at`. */
  issue(remote: string, nonce: string, at: number): void {
    hashOf(remote, nonce);
    const a = (HASH.h1 & MASK) << 1;
    const i = this.verify[a] === HASH.h2 || this.time[a + 1]! < this.time[a]! ? a : a + 1;
    this.time[i] = at;
    this.verify[i] = HASH.h2;
  }

  /** Whether `remote` echoes a nonce the server sent it within ECHO_SECONDS. */
  echoed(remote: string, nonce: string | null | undefined, at: number): boolean {
    if (!nonce) return false;
    hashOf(remote, nonce);
    const a = (HASH.h1 & MASK) << 1;
    return this.fresh(a, at) || this.fresh(a + 1, at);
  }

  private fresh(i: number, at: number): boolean {
    return this.verify[i] === HASH.h2 && at - this.time[i]! < ECHO_SECONDS && at >= this.time[i]!;
  }
}

/** Sources whose shielded alert was raised lately (bounded: cleared when it grows past 10k). */
export class AlertedSources {
  private readonly last = new Map<string, number>();

  /** True when an alert for `ip` may be raised now (and records it). */
  take(ip: string, at: number): boolean {
    const t = this.last.get(ip);
    if (t !== undefined && at - t < SHIELD_ALERT_SECONDS) return false;
    if (this.last.size >= 10_000) this.last.clear();
    this.last.set(ip, at);
    return true;
  }
}
