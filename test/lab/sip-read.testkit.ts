/**
 * SIP messages from a lab capture, read without any of sipprot's code (see
 * pcap-read.testkit.ts): UDP datagrams are one message each; TCP streams are framed by the
 * empty line and Content-Length (several messages in one segment, one message over
 * several). Each message keeps what the golden expectations need: who sent it, its
 * start line, the users in it, its tags, Call-ID, CSeq, credentials and challenge.
 */
import { type CaptureInfo, type Payload, readCapture } from './pcap-read.testkit.js';

export interface SipMsg {
  t: number;
  proto: 'udp' | 'tcp';
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** Request method, or null for an answer. */
  method: string | null;
  status: number | null;
  ruri: string | null;
  /** User part of the Request-URI. */
  ruriUser: string | null;
  from: string;
  fromUser: string | null;
  fromDisplay: string | null;
  fromTag: string | null;
  to: string;
  toUser: string | null;
  toTag: string | null;
  callId: string;
  cseq: number;
  cseqMethod: string;
  via: string;
  userAgent: string | null;
  server: string | null;
  /** Authorization or Proxy-Authorization present. */
  credentials: boolean;
  authUser: string | null;
  /** A challenge (WWW-/Proxy-Authenticate) with stale=true. */
  stale: boolean;
  event: string | null;
  compact: boolean;
  /** IP fragments / TCP segments the message arrived in. */
  pieces: number;
  /** Messages the TCP segment that completed this one completed in all (1 for UDP). */
  perSegment: number;
  size: number;
}

const COMPACT: Record<string, string> = {
  i: 'call-id',
  f: 'from',
  t: 'to',
  v: 'via',
  m: 'contact',
  l: 'content-length',
  o: 'event',
  k: 'supported',
  c: 'content-type',
};

export interface SipCapture extends Omit<CaptureInfo, 'payloads'> {
  messages: SipMsg[];
}

/** Reads every SIP message of a capture, in capture order. */
export function readSip(file: string): SipCapture {
  const cap = readCapture(file);
  const messages: SipMsg[] = [];
  const streams = new Map<string, { buf: Buffer; pieces: number }>();
  for (const p of cap.payloads) {
    if (p.proto === 'udp') {
      const m = parseSip(p.data.toString('latin1'), p, p.fragments);
      if (m !== null) messages.push(m);
      continue;
    }
    const key = `${p.src}|${p.sport}|${p.dst}|${p.dport}`;
    const s = streams.get(key) ?? { buf: Buffer.alloc(0), pieces: 0 };
    s.buf = Buffer.concat([s.buf, p.data]);
    s.pieces++;
    const done: SipMsg[] = [];
    for (;;) {
      // Keep-alive CRLFs between messages (RFC 5626) are skipped.
      let start = 0;
      while (start < s.buf.length && (s.buf[start] === 13 || s.buf[start] === 10)) start++;
      const text = s.buf.toString('latin1', start);
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        s.buf = s.buf.subarray(start);
        break;
      }
      const cl = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(text.slice(0, end));
      const total = end + 4 + (cl ? Number(cl[1]) : 0);
      if (text.length < total) {
        s.buf = s.buf.subarray(start);
        break;
      }
      const m = parseSip(text.slice(0, total), p, s.pieces);
      if (m !== null) done.push(m);
      s.buf = s.buf.subarray(start + total);
      s.pieces = s.buf.length > 0 ? 1 : 0;
    }
    for (const m of done) m.perSegment = done.length;
    messages.push(...done);
    streams.set(key, s);
  }
  return { linkType: cap.linkType, frames: cap.frames, malformed: cap.malformed, messages };
}

function uriUser(v: string | null): string | null {
  if (v === null) return null;
  const m = /sips?:([^@;>\s]+)@/i.exec(v);
  return m ? decodeURIComponent(m[1] as string) : null;
}

function tagOf(v: string): string | null {
  const m = /;\s*tag=([^;>\s]+)/i.exec(v.replace(/<[^>]*>/, ''));
  return m ? (m[1] as string) : null;
}

function displayOf(v: string): string | null {
  const m = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*</.exec(v);
  if (!m) return null;
  const d = m[1] ?? m[2] ?? '';
  return d === '' ? null : d;
}

/** Parses one message's text; null when it is not SIP. */
export function parseSip(text: string, p: Payload, pieces: number): SipMsg | null {
  const headEnd = text.indexOf('\r\n\r\n');
  const head = (headEnd < 0 ? text : text.slice(0, headEnd)).split('\r\n');
  const first = head[0] ?? '';
  let method: string | null = null;
  let status: number | null = null;
  let ruri: string | null = null;
  const req = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(first);
  const rsp = /^SIP\/2\.0 (\d{3})/.exec(first);
  if (req) {
    method = req[1] as string;
    ruri = req[2] as string;
  } else if (rsp) status = Number(rsp[1]);
  else return null;
  const h = new Map<string, string>();
  let compact = false;
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i < 1) continue;
    let name = line.slice(0, i).trim().toLowerCase();
    if (name.length === 1 && COMPACT[name] !== undefined) {
      compact = true;
      name = COMPACT[name] as string;
    }
    const value = line.slice(i + 1).trim();
    // Challenges may come twice (WWW- and Proxy-): keep both for the stale check.
    h.set(name, h.has(name) ? `${h.get(name)}, ${value}` : value);
  }
  const cseq = /^(\d+)\s+(\S+)/.exec(h.get('cseq') ?? '');
  const auth = h.get('authorization') ?? h.get('proxy-authorization') ?? null;
  const challenge = `${h.get('www-authenticate') ?? ''} ${h.get('proxy-authenticate') ?? ''}`;
  const from = h.get('from') ?? '';
  const to = h.get('to') ?? '';
  return {
    t: p.t,
    proto: p.proto,
    src: p.src,
    sport: p.sport,
    dst: p.dst,
    dport: p.dport,
    method,
    status,
    ruri,
    ruriUser: uriUser(ruri),
    from,
    fromUser: uriUser(from),
    fromDisplay: displayOf(from),
    fromTag: tagOf(from),
    to,
    toUser: uriUser(to),
    toTag: tagOf(to),
    callId: h.get('call-id') ?? '',
    cseq: cseq ? Number(cseq[1]) : -1,
    cseqMethod: cseq ? (cseq[2] as string) : '',
    via: h.get('via') ?? '',
    userAgent: h.get('user-agent') ?? null,
    server: h.get('server') ?? null,
    credentials: auth !== null,
    authUser: auth ? (/username\s*=\s*"?([^",]*)"?/i.exec(auth)?.[1] ?? null) : null,
    stale: /stale\s*=\s*"?true/i.test(challenge),
    event: h.get('event') ?? null,
    compact,
    pieces,
    perSegment: 1,
    size: text.length,
  };
}
