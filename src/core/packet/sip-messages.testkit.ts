/** Test helpers: SIP messages and HEPv3 packets as bytes (re-exported by build.ts). */
import { addrBytes, concat, sipText, u16, u32 } from './packets.testkit.js';

// ------------------------------------------------------------------ SIP messages

export interface SipRequestOptions {
  method?: string;
  /** The user addressed (Request-URI, To, From unless `fromUser`). */
  user?: string;
  fromUser?: string;
  host?: string;
  callId?: string;
  cseq?: number;
  branch?: string;
  userAgent?: string | null;
  /** Adds `Authorization: Digest username="..."`. */
  authUser?: string | null;
  /** Extra header lines. */
  headers?: string[];
  body?: string;
}

/** A plausible request (REGISTER by default) as a phone or a tool sends it. */
export function sipRequest(o: SipRequestOptions = {}): Uint8Array {
  const method = o.method ?? 'REGISTER';
  const user = o.user ?? '100';
  const host = o.host ?? 'pbx.example.com';
  const cseq = o.cseq ?? 1;
  const uri = method === 'REGISTER' ? `sip:${host}` : `sip:${user}@${host}`;
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=${o.branch ?? `z9hG4bK-${cseq}-${user}`}`,
    'Max-Forwards: 70',
    `From: <sip:${o.fromUser ?? user}@${host}>;tag=f${cseq}`,
    `To: <sip:${user}@${host}>`,
    `Call-ID: ${o.callId ?? `call-${user}@192.0.2.10`}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:${o.fromUser ?? user}@192.0.2.10:5060>`,
  ];
  if (o.userAgent !== null) lines.push(`User-Agent: ${o.userAgent ?? 'TestPhone/1.0'}`);
  if (o.authUser) {
    lines.push(
      `Authorization: Digest username="${o.authUser}",realm="${host}",nonce="abc",uri="${uri}",response="0123456789abcdef0123456789abcdef",algorithm=MD5`,
    );
  }
  lines.push(...(o.headers ?? []));
  const body = o.body ?? '';
  lines.push(`Content-Length: ${body.length}`);
  return sipText(lines, body);
}

export interface SipResponseOptions {
  status: number;
  reason?: string;
  method?: string;
  user?: string;
  host?: string;
  callId?: string;
  cseq?: number;
  branch?: string;
  /** Adds a WWW-Authenticate challenge (default for 401; Proxy-Authenticate for 407). */
  challenge?: boolean;
  stale?: boolean;
  server?: string;
  body?: string;
}

export function sipResponse(o: SipResponseOptions): Uint8Array {
  const user = o.user ?? '100';
  const host = o.host ?? 'pbx.example.com';
  const cseq = o.cseq ?? 1;
  const method = o.method ?? 'REGISTER';
  const lines = [
    `SIP/2.0 ${o.status} ${o.reason ?? 'Reason'}`,
    `Via: SIP/2.0/UDP 192.0.2.10:5060;rport=5060;received=192.0.2.10;branch=${o.branch ?? `z9hG4bK-${cseq}-${user}`}`,
    `From: <sip:${user}@${host}>;tag=f${cseq}`,
    `To: <sip:${user}@${host}>;tag=srv`,
    `Call-ID: ${o.callId ?? `call-${user}@192.0.2.10`}`,
    `CSeq: ${cseq} ${method}`,
    `Server: ${o.server ?? 'TestPBX'}`,
  ];
  if (o.challenge ?? (o.status === 401 || o.status === 407)) {
    const name = o.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    lines.push(
      `${name}: Digest algorithm=MD5, realm="${host}", nonce="n${cseq}"${o.stale ? ', stale=true' : ''}`,
    );
  }
  const body = o.body ?? '';
  lines.push(`Content-Length: ${body.length}`);
  return sipText(lines, body);
}

// ------------------------------------------------------------------ HEPv3

export interface HepOptions {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  payload: Uint8Array;
  /** Epoch seconds (chunks 9/10); omit for none. */
  at?: number;
  /** IP protocol chunk: 17 (default) or 6. */
  ipProto?: number;
  /** Protocol type chunk 11 (1 = SIP, default); null leaves it out. */
  protoType?: number | null;
  captureId?: number;
  /** More chunks, written before the payload (e.g. another vendor's). */
  extra?: Array<{ vendor: number; type: number; value: Uint8Array }>;
}

/** One HEPv3 packet. */
export function hep3(o: HepOptions): Uint8Array {
  const chunks: Uint8Array[] = [];
  const chunk = (vendor: number, type: number, value: Uint8Array | number[]) => {
    const v = value instanceof Uint8Array ? value : Uint8Array.from(value);
    chunks.push(concat(Uint8Array.from([...u16(vendor), ...u16(type), ...u16(6 + v.length)]), v));
  };
  const v6 = o.src.includes(':');
  chunk(0, 1, [v6 ? 10 : 2]);
  chunk(0, 2, [o.ipProto ?? 17]);
  chunk(0, v6 ? 5 : 3, addrBytes(o.src));
  chunk(0, v6 ? 6 : 4, addrBytes(o.dst));
  chunk(0, 7, u16(o.sport));
  chunk(0, 8, u16(o.dport));
  if (o.at !== undefined) {
    const sec = Math.floor(o.at);
    chunk(0, 9, u32(sec));
    chunk(0, 10, u32(Math.round((o.at - sec) * 1e6)));
  }
  if (o.protoType !== null) chunk(0, 11, [o.protoType ?? 1]);
  if (o.captureId !== undefined) chunk(0, 12, u32(o.captureId));
  for (const x of o.extra ?? []) chunk(x.vendor, x.type, x.value);
  chunk(0, 15, o.payload);
  const body = concat(...chunks);
  return concat(Uint8Array.from([0x48, 0x45, 0x50, 0x33, ...u16(6 + body.length)]), body);
}
