/**
 * Where the web admin sits (issue 10 items 7, 8): the peer addresses of requests that
 * carried a live session, for PRESENCE_SECONDS (the session's idle limit). The lock-out
 * guard protects them like the requester, and the forged-packet shield never blocks
 * them dynamically. At most MAX_PEERS remembered (the oldest forgotten first).
 */
import { parseAddress } from '../core/net/ip.js';

const PRESENCE_SECONDS = 2 * 3600;
const MAX_PEERS = 256;

export class AdminPresence {
  private readonly seenAt = new Map<string, number>();

  seen(ip: string | undefined, at: number): void {
    const a = ip ? parseAddress(ip) : null;
    if (!a) return;
    this.seenAt.delete(a.text);
    this.seenAt.set(a.text, at);
    if (this.seenAt.size > MAX_PEERS) {
      const oldest = this.seenAt.keys().next().value;
      if (oldest !== undefined) this.seenAt.delete(oldest);
    }
  }

  /** Addresses with an admin session seen within PRESENCE_SECONDS of `now`. */
  recent(now: number): string[] {
    return [...this.seenAt].filter(([, t]) => now - t < PRESENCE_SECONDS).map(([ip]) => ip);
  }
}
