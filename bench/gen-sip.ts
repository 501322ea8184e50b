/**
 * SIP texts for generated captures, shaped like what real phones, a PBX (Asterisk-style
 * answers) and attack tools (sipp, SIPVicious) put on the wire: same headers, similar
 * sizes (REGISTER ~550 B, with credentials ~800 B, INVITE with SDP ~1 kB).
 */
import type { Addr } from './gen-pcap.js';

export const DOMAIN = 'pbx.example.com';
const SERVER = 'Asterisk PBX 20.5.2';
const ALLOW = 'INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE';

/** A deterministic PRNG (mulberry32): every capture is the same for the same seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Uniform in [a, b). */
  range(a: number, b: number): number {
    return a + this.next() * (b - a);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += ((this.next() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
}

/** One SIP message between a remote party and the PBX. */
export interface Dialog {
  ip: Addr;
  port: number;
  user: string;
  /** Request-URI user (INVITE target); defaults to `user`. */
  target?: string;
  callId: string;
  fromTag: string;
  ua: string | null;
  /** SIPVicious --compact style headers (v f t i m l) and no User-Agent. */
  compact?: boolean;
}

function host(a: Addr): string {
  return a.v6 ? `[${a.text}]` : a.text;
}

export interface RequestOpts {
  method: string;
  cseq: number;
  branch: string;
  /** A digest response header: 'www' (Authorization) or 'proxy' (Proxy-Authorization). */
  auth?: { kind: 'www' | 'proxy'; nonce: string; response: string };
  sdp?: boolean;
  /** ACK/BYE carry the To tag of the dialog. */
  toTag?: string;
}

export function request(d: Dialog, o: RequestOpts): string {
  const t = d.target ?? d.user;
  const uri = o.method === 'REGISTER' ? `sip:${DOMAIN}` : `sip:${t}@${DOMAIN}`;
  const to = o.method === 'REGISTER' ? d.user : t;
  const h = d.compact
    ? { via: 'v', from: 'f', to: 't', callId: 'i', contact: 'm', len: 'l' }
    : { via: 'Via', from: 'From', to: 'To', callId: 'Call-ID', contact: 'Contact', len: 'Content-Length' };
  let s =
    `${o.method} ${uri} SIP/2.0\r\n` +
    `${h.via}: SIP/2.0/UDP ${host(d.ip)}:${d.port};branch=${o.branch};rport\r\n` +
    'Max-Forwards: 70\r\n' +
    `${h.from}: "${d.user}" <sip:${d.user}@${DOMAIN}>;tag=${d.fromTag}\r\n` +
    `${h.to}: <sip:${to}@${DOMAIN}>${o.toTag ? `;tag=${o.toTag}` : ''}\r\n` +
    `${h.callId}: ${d.callId}\r\n` +
    `CSeq: ${o.cseq} ${o.method}\r\n`;
  if (o.method !== 'ACK' && o.method !== 'BYE')
    s += `${h.contact}: <sip:${d.user}@${host(d.ip)}:${d.port};transport=udp>\r\n`;
  if (!d.compact) {
    if (o.method === 'REGISTER' || o.method === 'INVITE') s += `Allow: ${ALLOW}\r\n`;
    if (o.method === 'REGISTER') s += 'Expires: 1800\r\nSupported: replaces, path, outbound\r\n';
  }
  if (d.ua !== null && !d.compact) s += `User-Agent: ${d.ua}\r\n`;
  if (o.auth) {
    const name = o.auth.kind === 'www' ? 'Authorization' : 'Proxy-Authorization';
    s +=
      `${name}: Digest username="${d.user}",realm="${DOMAIN}",nonce="${o.auth.nonce}",uri="${uri}",` +
      `response="${o.auth.response}",algorithm=MD5,cnonce="${o.auth.response.slice(0, 8)}",qop=auth,nc=00000001\r\n`;
  }
  const body = o.sdp ? sdp(d.ip, d.callId.length) : '';
  if (body) s += 'Content-Type: application/sdp\r\n';
  return `${s}${h.len}: ${body.length}\r\n\r\n${body}`;
}

export interface ResponseOpts {
  status: number;
  method: string;
  cseq: number;
  branch: string;
  toTag: string;
  /** 401/407 challenges carry a nonce. */
  nonce?: string;
  sdp?: boolean;
  pbx: Addr;
}

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  200: 'OK',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  407: 'Proxy Authentication Required',
};

export function response(d: Dialog, o: ResponseOpts): string {
  const t = d.target ?? d.user;
  const to = o.method === 'REGISTER' ? d.user : t;
  let s =
    `SIP/2.0 ${o.status} ${REASONS[o.status] ?? 'Reason'}\r\n` +
    `Via: SIP/2.0/UDP ${host(d.ip)}:${d.port};branch=${o.branch};received=${d.ip.text};rport=${d.port}\r\n` +
    `From: "${d.user}" <sip:${d.user}@${DOMAIN}>;tag=${d.fromTag}\r\n` +
    `To: <sip:${to}@${DOMAIN}>${o.status === 100 ? '' : `;tag=${o.toTag}`}\r\n` +
    `Call-ID: ${d.callId}\r\n` +
    `CSeq: ${o.cseq} ${o.method}\r\n` +
    `Server: ${SERVER}\r\n`;
  if (o.status === 401)
    s += `WWW-Authenticate: Digest realm="${DOMAIN}",nonce="${o.nonce}",opaque="",algorithm=MD5,qop="auth"\r\n`;
  if (o.status === 407)
    s += `Proxy-Authenticate: Digest realm="${DOMAIN}",nonce="${o.nonce}",opaque="",algorithm=MD5,qop="auth"\r\n`;
  if (o.status === 200 && o.method === 'REGISTER')
    s += `Contact: <sip:${d.user}@${host(d.ip)}:${d.port};transport=udp>;expires=1800\r\nExpires: 1800\r\n`;
  if (o.status === 200 && o.method === 'INVITE')
    s += `Contact: <sip:${t}@${host(o.pbx)}:5060>\r\nAllow: ${ALLOW}\r\n`;
  const body = o.sdp ? sdp(o.pbx, 7) : '';
  if (body) s += 'Content-Type: application/sdp\r\n';
  return `${s}Content-Length: ${body.length}\r\n\r\n${body}`;
}

function sdp(a: Addr, id: number): string {
  const fam = a.v6 ? 'IP6' : 'IP4';
  return (
    'v=0\r\n' +
    `o=- ${1000 + id} ${2000 + id} IN ${fam} ${a.text}\r\n` +
    's=call\r\n' +
    `c=IN ${fam} ${a.text}\r\n` +
    't=0 0\r\n' +
    `m=audio ${10000 + (id % 5000) * 2} RTP/AVP 9 8 0 101\r\n` +
    'a=rtpmap:9 G722/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n' +
    'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n'
  );
}
