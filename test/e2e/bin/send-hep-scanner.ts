// Sends one HEPv3 packet per address given: an OPTIONS with a scanner User-Agent from that
// address, to HOST:PORT (a sipprotd HEP_LISTEN inside the test's namespace).
//   node --import tsx send-hep-scanner.ts HOST PORT IP...
import { createSocket } from 'node:dgram';
import { hep3 } from '../../../src/core/packet/sip-messages.testkit.js';

const [host, port, ...ips] = process.argv.slice(2);
const sock = createSocket('udp4');
for (const ip of ips) {
  const sip = [
    'OPTIONS sip:100@10.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP ${ip}:5070;branch=z9hG4bK-${ip}`,
    `From: <sip:100@${ip}>;tag=1`,
    'To: <sip:100@10.0.0.1>',
    `Call-ID: scan-${ip}`,
    'CSeq: 1 OPTIONS',
    'User-Agent: friendly-scanner',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const packet = hep3({
    src: ip!,
    sport: 5070,
    dst: '10.0.0.1',
    dport: 5060,
    ipProto: 17,
    payload: Buffer.from(sip),
  });
  await new Promise<void>((r) => sock.send(packet, Number(port), host, () => r()));
}
sock.close();
