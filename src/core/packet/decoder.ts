/**
 * Capture records → SIP events: link layer, IPv4/IPv6 (fragments reassembled), UDP (one
 * message per datagram) and TCP (streams reassembled, framed by Content-Length).
 *
 * Pure and synchronous: time is the packet's own timestamp, so replaying a capture gives
 * exactly what the live daemon saw. Malformed input of any kind is dropped and counted in
 * `stats`, never thrown. The decoder never keeps a reference to a pushed frame (what it
 * must hold, it copies), so callers may reuse their buffers.
 */

import { u32be } from '../net/bytes.js';
import { parseSip, parseSipStart } from '../sip/parse.js';
import type { SipEvent, SipMessage, Transport } from '../types.js';
import { AddressTexts, ipv4Text, ipv6Text } from './addr.js';
import { DEFAULT_LIMITS, type DecoderOptions, type DecoderStats, newStats } from './decoder-config.js';
import { FragmentReassembler } from './fragments.js';
import { decodeHep } from './hep.js';
import { IP_MALFORMED, IP_OK, IpInfo, parseIpv4, parseIpv6, walkIpv6 } from './ip.js';
import { ipOffset } from './link.js';
import { TCP_RST, type TcpLimits, TcpReassembler } from './tcp.js';

export {
  DEFAULT_LIMITS,
  type DecoderLimits,
  type DecoderOptions,
  type DecoderStats,
} from './decoder-config.js';

const SWEEP_INTERVAL = 1;

export class Decoder {
  private readonly stat: DecoderStats;
  private readonly ports = new Uint8Array(65536);
  private readonly udp: boolean;
  private readonly tcpOn: boolean;
  private readonly frags: FragmentReassembler;
  private readonly tcp: TcpReassembler;
  private readonly ip = new IpInfo();
  private readonly texts = new AddressTexts();
  private now = Number.NEGATIVE_INFINITY;
  private lastSweep = Number.NEGATIVE_INFINITY;
  // The packet being decoded: what the framer's sink needs to build events.
  private out: SipEvent[] = [];
  private curAt = 0;
  private curSrc = '';
  private curDst = '';
  private curSport = 0;
  private curDport = 0;
  /**
   * Asked before a UDP datagram on a SIP port is parsed: which kinds of message with these
   * addresses at `at` would be decided by the remote address alone (parse.ts's
   * START_REQUEST | START_RESPONSE; Engine.decidedByAddress: a source held blocked): a
   * message of such a kind is parsed as its start line only (parseSipStart), any other
   * whole. UDP only: its one event is judged before anything else is decoded, so nothing
   * can change the answer in between — the several messages of a TCP segment are all
   * decoded before the first is judged. Unset, or 0: every message parsed whole.
   * `srcV4`, `dstV4`: the addresses as 32-bit numbers (canonicalV4Number of the texts; -1
   * for IPv6), read from the packet: the hook's address lookups need not parse the texts.
   */
  startOnly:
    | ((
        at: number,
        src: string,
        sport: number,
        dst: string,
        dport: number,
        srcV4: number,
        dstV4: number,
      ) => number)
    | null = null;

  constructor(opts: DecoderOptions) {
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    for (const r of opts.sipPorts) {
      const from = Math.max(0, Math.min(65535, r.from | 0));
      const to = Math.max(0, Math.min(65535, r.to | 0));
      for (let p = from; p <= to; p++) this.ports[p] = 1;
    }
    this.udp = opts.protocols.includes('udp');
    this.tcpOn = opts.protocols.includes('tcp');
    this.stat = newStats();
    this.frags = new FragmentReassembler(
      { maxDatagrams: limits.maxFragDatagrams, maxBytes: limits.maxFragBytes, timeout: limits.fragTimeout },
      this.stat,
    );
    const tcpLimits: TcpLimits = {
      maxFlows: limits.maxTcpFlows,
      flowBuffer: limits.tcpFlowBuffer,
      idleTimeout: limits.tcpIdleTimeout,
      maxHeld: limits.tcpMaxHeld,
      holdTime: limits.tcpHoldTime,
    };
    this.tcp = new TcpReassembler(
      tcpLimits,
      (buf, start, end) => this.onTcpMessage(buf, start, end),
      this.stat,
    );
  }

  /** Counters since construction (a live object: read it, do not write it). */
  get stats(): Readonly<DecoderStats> {
    const s = this.stat;
    s.tcpFlows = this.tcp.size;
    s.drops = s.fragDropped + s.tcpGaps + s.overflows + s.tcpFlowsEvicted;
    return s;
  }

  /** One captured frame of the given link type (pcap LINKTYPE_*), at packet time `at`. */
  push(linkType: number, at: number, frame: Uint8Array): SipEvent[] {
    return this.pushAt(linkType, at, frame, 0, frame.length);
  }

  /**
   * The frame buf[start, end), read in place (a capture file's records without a view
   * each). Nothing past `end` is read; nothing of `buf` is kept past the call.
   */
  pushAt(linkType: number, at: number, buf: Uint8Array, start: number, end: number): SipEvent[] {
    this.stat.frames++;
    const r = ipOffset(linkType, buf, start, end);
    if (r < 0) {
      this.stat.notIp++;
      return [];
    }
    return this.decodeIp(at, buf, r >> 4, r & 15, end);
  }

  /** One raw IP packet (no link header). */
  pushIp(at: number, packet: Uint8Array): SipEvent[] {
    this.stat.frames++;
    const v = packet.length > 0 ? packet[0]! >> 4 : 0;
    if (v !== 4 && v !== 6) {
      this.stat.notIp++;
      return [];
    }
    return this.decodeIp(at, packet, 0, v, packet.length);
  }

  /**
   * One HEPv3 packet. `at` is used when the agent sent no timestamp, `transport` overrides
   * the one HEP implies (an agent reports SIP over TLS as TCP). HEP carries what the SIP
   * server itself sent and received, so no port filter applies.
   */
  pushHep(buf: Uint8Array, opts: { at?: number; transport?: Transport } = {}): SipEvent[] {
    this.stat.hep++;
    const h = decodeHep(buf);
    if (h === null || (h.protoType !== null && h.protoType !== 1)) {
      this.stat.hepInvalid++;
      return [];
    }
    const msg = this.datagram(h.payload, 0, h.payload.length);
    if (msg === null) return [];
    return [
      {
        at: h.at ?? opts.at ?? 0,
        src: h.src,
        sport: h.sport,
        dst: h.dst,
        dport: h.dport,
        transport: opts.transport ?? h.transport,
        msg,
      },
    ];
  }

  private decodeIp(at: number, buf: Uint8Array, off: number, version: number, end: number): SipEvent[] {
    if (at > this.now) {
      this.now = at;
      if (at - this.lastSweep >= SWEEP_INTERVAL) {
        this.lastSweep = at;
        this.frags.expire(at);
        this.tcp.expire(at);
      }
    }
    const ip = this.ip;
    const st = version === 4 ? parseIpv4(buf, off, ip, end) : parseIpv6(buf, off, ip, end);
    if (st !== IP_OK) {
      if (st === IP_MALFORMED) this.stat.malformed++;
      else this.stat.filtered++;
      return [];
    }
    let proto = ip.proto;
    if (ip.fragment) {
      if (version === 4 && !this.wants(proto)) {
        this.stat.filtered++;
        return [];
      }
      const key = this.fragmentKey(ip, proto);
      // A first fragment shows the ports: a datagram for another port is not kept.
      if (ip.fragOffset === 0 && version === 4 && !this.portsMatch(proto, buf, ip.off, ip.end)) {
        this.frags.ignore(key, at);
        this.stat.filtered++;
        return [];
      }
      const whole = this.frags.add(key, at, ip.fragOffset, ip.moreFragments, proto, buf, ip.off, ip.end);
      if (whole === null) return [];
      if (version === 6) {
        // What followed the Fragment header may start with more extension headers.
        const srcOff = ip.srcOff;
        const dstOff = ip.dstOff;
        const hdr = ip.buf;
        if (walkIpv6(whole, 0, whole.length, this.frags.lastProto, ip, false) !== IP_OK) {
          this.stat.malformed++;
          return [];
        }
        ip.buf = hdr;
        ip.srcOff = srcOff;
        ip.dstOff = dstOff;
        proto = ip.proto;
      } else {
        ip.off = 0;
        ip.end = whole.length;
      }
      return this.transport(at, proto, whole, ip.off, ip.end);
    }
    return this.transport(at, proto, buf, ip.off, ip.end);
  }

  private wants(proto: number): boolean {
    return (proto === 17 && this.udp) || (proto === 6 && this.tcpOn);
  }

  private portsMatch(proto: number, buf: Uint8Array, off: number, end: number): boolean {
    if (!this.wants(proto) || end - off < 4) return false;
    return (
      this.ports[(buf[off]! << 8) | buf[off + 1]!] === 1 ||
      this.ports[(buf[off + 2]! << 8) | buf[off + 3]!] === 1
    );
  }

  private fragmentKey(ip: IpInfo, proto: number): string {
    const b = ip.buf;
    return ip.version === 4
      ? `4 ${ipv4Text(b, ip.srcOff)} ${ipv4Text(b, ip.dstOff)} ${proto} ${ip.fragId}`
      : `6 ${ipv6Text(b, ip.srcOff)} ${ipv6Text(b, ip.dstOff)} ${ip.fragId}`;
  }

  /**
   * The first checks UDP and TCP share: the protocol is on, its header (`minHeader`: 8, 20)
   * fits, and one of its ports is a SIP port. The ports packed (sport * 65536 + dport: no
   * allocation per packet), or -1 with the packet counted as filtered or malformed.
   */
  private sipPorts(on: boolean, minHeader: number, data: Uint8Array, off: number, end: number): number {
    if (!on) {
      this.stat.filtered++;
      return -1;
    }
    if (end - off < minHeader) {
      this.stat.malformed++;
      return -1;
    }
    const sport = (data[off]! << 8) | data[off + 1]!;
    const dport = (data[off + 2]! << 8) | data[off + 3]!;
    if (this.ports[sport] !== 1 && this.ports[dport] !== 1) {
      this.stat.filtered++;
      return -1;
    }
    return sport * 65536 + dport;
  }

  /** UDP or TCP at data[off, end); addresses are in this.ip. */
  private transport(at: number, proto: number, data: Uint8Array, off: number, end: number): SipEvent[] {
    if (proto === 17) {
      const pp = this.sipPorts(this.udp, 8, data, off, end);
      if (pp < 0) return [];
      const sport = pp >>> 16;
      const dport = pp & 0xffff;
      const ulen = (data[off + 4]! << 8) | data[off + 5]!;
      // 0 is legal for IPv6 jumbograms and seen in TSO captures: the IP length rules.
      if (ulen !== 0) {
        if (ulen < 8 || off + ulen > end) {
          this.stat.malformed++;
          return [];
        }
        end = off + ulen;
      }
      const ip = this.ip;
      const t = this.texts;
      const v4 = ip.version === 4;
      const src = v4 ? t.v4(ip.buf, ip.srcOff) : t.v6(ip.buf, ip.srcOff);
      const dst = v4 ? t.v4(ip.buf, ip.dstOff) : t.v6(ip.buf, ip.dstOff);
      const gate = this.startOnly;
      const kinds =
        gate === null
          ? 0
          : gate(
              at,
              src,
              sport,
              dst,
              dport,
              v4 ? u32be(ip.buf, ip.srcOff) : -1,
              v4 ? u32be(ip.buf, ip.dstOff) : -1,
            );
      const msg = this.datagram(data, off + 8, end, kinds);
      return msg === null ? [] : [{ at, src, sport, dst, dport, transport: 'udp', msg }];
    }
    if (proto === 6) {
      const pp = this.sipPorts(this.tcpOn, 20, data, off, end);
      if (pp < 0) return [];
      const sport = pp >>> 16;
      const dport = pp & 0xffff;
      const hlen = (data[off + 12]! >> 4) * 4;
      if (hlen < 20 || off + hlen > end) {
        this.stat.malformed++;
        return [];
      }
      const seq = u32be(data, off + 4);
      const flags = data[off + 13]!;
      const ip = this.ip;
      const t = this.texts;
      const src = ip.version === 4 ? t.v4(ip.buf, ip.srcOff) : t.v6(ip.buf, ip.srcOff);
      const dst = ip.version === 4 ? t.v4(ip.buf, ip.dstOff) : t.v6(ip.buf, ip.dstOff);
      const out: SipEvent[] = [];
      this.out = out;
      this.curAt = at;
      this.curSrc = src;
      this.curDst = dst;
      this.curSport = sport;
      this.curDport = dport;
      this.tcp.segment(`${src} ${sport} ${dst} ${dport}`, at, seq, flags, data, off + hlen, end);
      if ((flags & TCP_RST) !== 0) this.tcp.close(`${dst} ${dport} ${src} ${sport}`);
      return out;
    }
    this.stat.filtered++;
    return [];
  }

  /** One datagram's payload (UDP or HEP) as SIP, counted; CRLF keep-alives are not "not SIP". */
  private datagram(b: Uint8Array, p: number, end: number, startOnly = 0): SipMessage | null {
    const msg = startOnly !== 0 ? parseSipStart(b, p, end - p, startOnly) : parseSip(b, p, end - p);
    if (msg === null) {
      if (isKeepalive(b, p, end)) this.stat.keepalives++;
      else this.stat.notSip++;
      return null;
    }
    this.stat.sip++;
    return msg;
  }

  private onTcpMessage(buf: Uint8Array, start: number, end: number): void {
    const msg = parseSip(buf, start, end - start);
    if (msg === null) {
      this.stat.notSip++;
      return;
    }
    this.stat.sip++;
    this.out.push({
      at: this.curAt,
      src: this.curSrc,
      sport: this.curSport,
      dst: this.curDst,
      dport: this.curDport,
      transport: 'tcp',
      msg,
    });
  }
}

/** Empty, or only CR/LF/NUL/space (RFC 5626 pings, NAT keep-alives some phones send). */
function isKeepalive(b: Uint8Array, p: number, end: number): boolean {
  if (end - p > 8) return false;
  for (let i = p; i < end; i++) {
    const c = b[i]!;
    if (c !== 13 && c !== 10 && c !== 0 && c !== 32) return false;
  }
  return true;
}
