/**
 * Evidence for a block: the last few answers the server gave an address (`REGISTER 100 →
 * 401 Unauthorized`), so `sipprot check` and the UI can show what the attempts looked like
 * without a packet capture. Kept for the error answers (4xx-6xx) only: a phone's normal
 * traffic costs one comparison per message and nothing else.
 *
 * Bounded whatever the traffic: MAX_SAMPLES lines of at most SAMPLE_CHARS per address, for
 * at most `capacity` addresses (least recently answered dropped first; 4096 × 5 short
 * lines is under 4 MB), and every header text is cut and stripped of control characters
 * here, before it is stored: it is attacker text.
 */
import { PortSet, remoteOf } from '../detect/ports.js';
import { terminalText } from '../text/terminal.js';
import type { PortRange, SipEvent } from '../types.js';
import { MAX_SAMPLES } from './events.js';
import { LruMap } from './lru.js';

const PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  486: 'Busy Here',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  603: 'Decline',
};

/** Header text made one short printable line (core/text: no controls, bounded). */
function clean(s: string | null, n = 40): string {
  return s ? terminalText(s, n) : '';
}

/**
 * One answer as a sample line: `REGISTER 100 → 401 Unauthorized`. Only the header texts
 * are cleaned: the rest is ours, and the parts' bounds (16 + 40 + ~45) keep the line
 * under SAMPLE_CHARS (events.ts) — one answer in a flood is one of these, so nothing is done twice.
 */
export function sampleLine(ev: SipEvent): string {
  const m = ev.msg;
  const user = clean(m.toUser ?? m.fromUser);
  const phrase = PHRASES[m.status ?? 0];
  // One flat string (a join), not a template's tree of cons strings: the line outlives
  // many scavenges (4,096 addresses of a flood), and each cons node is 32 bytes copied.
  return [
    clean(m.method, 16),
    user ? ' ' : '',
    user,
    ' → ',
    String(m.status), // as a template would print it (join would print null as '')
    phrase ? ' ' : '',
    phrase ?? '',
    m.stale ? ' (stale)' : '',
  ].join('');
}

/** Lines the log shares before it starts again (like the user-agent cache). */
const LINES_MAX = 4096;

export class EvidenceLog {
  /**
   * Samples by address, the least recently answered dropped first (lru.ts says why not a
   * Map): one line as itself, more in an array. In a flood most addresses get one answer,
   * and an entry outlives the scavenges of the next 4,095 answered addresses, so what it
   * holds is copied and promoted: a one-line array was 56 bytes more.
   */
  private readonly byIp: LruMap<string | string[]>;
  /**
   * One copy of each recent line: a flood's answers are a few hundred distinct lines (the
   * method, the extension, the status), and each kept its own (~80 bytes: the arrow makes
   * it a two-byte string).
   */
  private readonly lines = new Map<string, string>();
  private ports: PortSet;

  constructor(sipPorts: readonly PortRange[], capacity = 4096) {
    this.ports = new PortSet(sipPorts);
    this.byIp = new LruMap(capacity);
  }

  /** New SIP ports (a reload); what was kept stays. */
  reconfigure(sipPorts: readonly PortRange[]): void {
    this.ports = new PortSet(sipPorts);
  }

  /** Looks at one event: an error answer to a remote address is kept as a sample. */
  observe(ev: SipEvent): void {
    const status = ev.msg.status;
    if (ev.msg.kind !== 'response' || status === null || status < 400) return;
    const ip = remoteOf(ev, this.ports);
    if (ip === null) return;
    const line = this.shared(sampleLine(ev));
    const lines = this.byIp.get(ip);
    if (lines === undefined) {
      this.byIp.set(ip, line);
      return;
    }
    if (typeof lines === 'string') {
      // An array of its size: `[]` and a push would reserve 17 slots (152 bytes).
      this.byIp.set(ip, MAX_SAMPLES > 1 ? [lines, line] : line);
      return;
    }
    lines.push(line);
    if (lines.length > MAX_SAMPLES) lines.shift();
    this.byIp.set(ip, lines);
  }

  private shared(line: string): string {
    const hit = this.lines.get(line);
    if (hit !== undefined) return hit;
    if (this.lines.size >= LINES_MAX) this.lines.clear();
    this.lines.set(line, line);
    return line;
  }

  /** The samples kept for an address, oldest first (a copy). */
  samples(ip: string): string[] {
    const lines = this.byIp.get(ip);
    if (lines === undefined) return [];
    return typeof lines === 'string' ? [lines] : lines.slice();
  }

  get size(): number {
    return this.byIp.size;
  }
}
