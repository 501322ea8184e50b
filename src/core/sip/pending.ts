/**
 * What detection reads of a remembered request once its answer arrives: the request
 * table's view (match.ts owns the table; this file the record it hands out, split from it
 * so that each stays one concern under 400 lines).
 */
import type { Transport } from '../types.js';

/**
 * What detection needs to know about a request once its answer arrives. The table
 * hands out one view object, refilled by each call: read it before the next call.
 */
export interface PendingRequest {
  remote: string;
  at: number;
  method: string;
  /** Hash of the Call-ID (0 without one). */
  callHash: number;
  /** CSeq number, or -1. */
  cseq: number;
  hasCredentials: boolean;
  authUser: string | null;
  toUser: string | null;
  /** The user of the Request-URI (`sip:100@host` → `100`). */
  uriUser: string | null;
  userAgent: string | null;
  transport: Transport;
  /** The local SIP port the request was sent to. */
  port: number;
  /** Final status already seen (0 = none yet): later finals are retransmissions. */
  answered: number;
  /** It followed up a challenge with credentials (the server asked, the source answered). */
  followUp: boolean;
  /** An alert was raised about it already (a call that rings, then connects, alerts once). */
  alerted: boolean;
}
