/**
 * Alerts: what detection says loudly at once, beside (not instead of) blocking. They are
 * events from the core, in packet time like verdicts; the surfaces (a mail that the
 * per-attack throttle does not hold back, a UI banner, `status`, the log, the event
 * stream) are wired around the Engine's `onAlert`.
 *
 * - breach: a source that failed on an extension then succeeded for it (a 2xx to a
 *   REGISTER or INVITE with credentials), or dialled out successfully (an INVITE to an
 *   outside number answered 183/200) after failing: "possible cracked password".
 * - distributed: one extension failed on from DISTRIBUTED_SOURCES addresses within an
 *   hour (distributed guessing, which no per-address window sees).
 * - watched-call: a call to a TOLL_WATCH destination got through (183/200).
 * - shielded: evidence that would have blocked an address (a scanner User-Agent, a tool
 *   template, a flood; any rule for a protected peer), held back because the address
 *   proved itself recently or is protected: a forged source address looks the same
 *   (shield.ts, issue 10 item 7). `dialled` carries the evidence.
 */
import type { Transport } from '../types.js';

export type AlertKind = 'breach' | 'distributed' | 'watched-call' | 'shielded';

export interface Alert {
  at: number;
  kind: AlertKind;
  /** The source address (for distributed: the address whose failure raised it). */
  ip: string;
  /** The extension (breach, distributed), when known. */
  user: string | null;
  /** The outside number dialled (a breach by a call, watched-call), else null. */
  dialled: string | null;
  /** Failed attempts before it: the source's (breach), all sources' on the extension (distributed). */
  failures: number;
  /** distributed: the addresses that failed on the extension, most recent first (bounded). */
  sources: string[];
  userAgent: string | null;
  transport: Transport;
  port: number;
  /** One sentence for mails, banners and logs. */
  text: string;
}

/** An alert as a store keeps it: with the country of its address. */
export type AlertRecord = Alert & { country: string | null };

function list(xs: readonly string[], max = 5): string {
  const shown = xs.slice(0, max).join(', ');
  return xs.length > max ? `${shown} and ${xs.length - max} more` : shown;
}

/** The sentence of an alert (everything in it came from the network: escape it where it goes). */
export function alertText(a: Omit<Alert, 'text'>): string {
  const user = a.user ?? '(unknown)';
  switch (a.kind) {
    case 'breach':
      if (a.dialled !== null) {
        return `possible toll fraud: call to ${a.dialled} from ${a.ip} went through after ${a.failures} failures`;
      }
      return `possible cracked password: extension ${user}, from ${a.ip}, after ${a.failures} failures`;
    case 'distributed':
      return `extension ${user} attacked from ${a.sources.length} addresses within an hour (${list(a.sources)}), ${a.failures} failures`;
    case 'watched-call':
      return `call to watched destination ${a.dialled ?? '(unknown)'} from ${a.ip} went through`;
    case 'shielded':
      return (
        `not blocked: ${a.dialled ?? 'evidence'} from ${a.ip}, an address that proved itself recently or is ` +
        'protected (a forged source address would look the same); check it'
      );
  }
}
