/**
 * What a Decoder is built with and what it counts (split from decoder.ts, which decodes):
 * the bounds on the state an untrusted stream can make it hold — fragments and TCP flows,
 * each bounded in count, bytes and packet time — the ports and protocols it keeps, and the
 * counters of what it saw and dropped (the daemon's status and metrics show them).
 */
import type { PortRange } from '../types.js';
import type { FragmentStats } from './fragments.js';
import type { TcpStats } from './tcp.js';

export interface DecoderLimits {
  /** IP datagrams being reassembled at once. */
  maxFragDatagrams: number;
  /** Fragment bytes held in total. */
  maxFragBytes: number;
  /** Seconds (packet time) a fragmented datagram may take to complete. */
  fragTimeout: number;
  /** TCP directions tracked at once. */
  maxTcpFlows: number;
  /** Pending bytes per TCP direction (an unfinished header block). */
  tcpFlowBuffer: number;
  /** Seconds (packet time) of silence before a TCP flow is forgotten. */
  tcpIdleTimeout: number;
  /** Out-of-order segments held per TCP direction. */
  tcpMaxHeld: number;
  /** Seconds (packet time) a TCP gap may stay open. */
  tcpHoldTime: number;
}

export const DEFAULT_LIMITS: DecoderLimits = {
  maxFragDatagrams: 1024,
  maxFragBytes: 8 * 1024 * 1024,
  fragTimeout: 30,
  maxTcpFlows: 16384,
  tcpFlowBuffer: 65536,
  tcpIdleTimeout: 600,
  tcpMaxHeld: 32,
  tcpHoldTime: 2,
};

export interface DecoderOptions {
  sipPorts: PortRange[];
  protocols: Array<'udp' | 'tcp'>;
  limits?: Partial<DecoderLimits>;
}

export interface DecoderStats extends FragmentStats, TcpStats {
  /** Frames pushed. */
  frames: number;
  /** SIP messages decoded (events returned). */
  sip: number;
  /** Payloads on a SIP port that are not SIP (STUN, HTTP, binary, ...). */
  notSip: number;
  /** CRLF / empty keep-alives on a SIP port. */
  keepalives: number;
  /** Frames whose headers do not add up (truncated, bad lengths). */
  malformed: number;
  /** Frames without IP (ARP, unknown link type, ...). */
  notIp: number;
  /** IP packets that are not for a SIP port over a configured protocol. */
  filtered: number;
  /** TCP directions currently tracked. */
  tcpFlows: number;
  /** Data lost to a limit: fragments given up, TCP gaps, buffer overflows, evicted flows. */
  drops: number;
  hep: number;
  hepInvalid: number;
}

export function newStats(): DecoderStats {
  return {
    frames: 0,
    sip: 0,
    notSip: 0,
    keepalives: 0,
    malformed: 0,
    notIp: 0,
    filtered: 0,
    fragments: 0,
    reassembled: 0,
    fragDropped: 0,
    tcpSegments: 0,
    tcpRetransmits: 0,
    tcpOutOfOrder: 0,
    tcpGaps: 0,
    tcpFlows: 0,
    tcpFlowsOpened: 0,
    tcpFlowsEvicted: 0,
    tcpFlowsExpired: 0,
    framed: 0,
    resyncs: 0,
    overflows: 0,
    drops: 0,
    hep: 0,
    hepInvalid: 0,
  };
}
