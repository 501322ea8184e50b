/**
 * SIP frames for daemon tests that hand frames in instead of libpcap: a REGISTER from a remote
 * address to the PBX (with or without credentials) and the PBX's answer to it, as raw IP.
 */
import { bytes, udpPacket } from '../core/packet/packets.testkit.js';

export const PBX = '10.0.0.1';
/** libpcap's link type for raw IP frames. */
export const RAW_IP = 101;

export function register(
  ip: string,
  port: number,
  callId: string,
  cseq: number,
  withAuth: boolean,
  ua = 'Evil/1.0',
) {
  const lines = [
    `REGISTER sip:${PBX} SIP/2.0`,
    `Via: SIP/2.0/UDP ${ip}:${port};branch=z9hG4bK${callId}${cseq}`,
    `From: <sip:100@${PBX}>;tag=a${callId}`,
    `To: <sip:100@${PBX}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `User-Agent: ${ua}`,
    ...(withAuth
      ? [`Authorization: Digest username="100", realm="pbx", nonce="n", uri="sip:${PBX}", response="x"`]
      : []),
    'Content-Length: 0',
  ];
  return udpPacket(ip, port, PBX, 5060, bytes(lines.join('\r\n') + '\r\n\r\n'));
}

export function answer(ip: string, port: number, callId: string, cseq: number, status: string) {
  const lines = [
    `SIP/2.0 ${status}`,
    `Via: SIP/2.0/UDP ${ip}:${port};branch=z9hG4bK${callId}${cseq}`,
    `From: <sip:100@${PBX}>;tag=a${callId}`,
    `To: <sip:100@${PBX}>;tag=srv`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    'WWW-Authenticate: Digest realm="pbx", nonce="n2"',
    'Content-Length: 0',
  ];
  return udpPacket(PBX, 5060, ip, port, bytes(lines.join('\r\n') + '\r\n\r\n'));
}
