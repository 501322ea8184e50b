/**
 * A SIP client that sends oversized requests (run inside a lab namespace): UDP datagrams
 * of several KB that the kernel fragments at the veth's MTU, or TCP messages spread over
 * many segments. It does the digest dance with a wrong password, like a cracker padding
 * its packets, or sends a padded OPTIONS with a scanner User-Agent.
 *
 *   node --import tsx big-sip.ts --src 10.77.1.150 --dst 10.77.1.1 --size 2445 \
 *     --mode register --count 10 --rate 20 [--transport udp|tcp] [--ua friendly-scanner]
 *
 * Bounded: at most 100 requests, at most --rate (1-200) a second, each waits at most
 * --wait ms (100-5000, default 2000) for its answer; prints one JSON line per answer ({"status":401}) and exits. Unpaced,
 * a guess took 0.3 ms on the lab's veths (~1,400 a second), faster than the rates the
 * guard promises HIT_COUNT + 1 answers at.
 */
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { bounded } from './bounded.js';

const { values: o } = parseArgs({
  options: {
    src: { type: 'string' },
    dst: { type: 'string' },
    size: { type: 'string', default: '2445' },
    mode: { type: 'string', default: 'register' },
    count: { type: 'string', default: '1' },
    transport: { type: 'string', default: 'udp' },
    ua: { type: 'string', default: 'Linphone/5.0' },
    user: { type: 'string', default: '100' },
    rate: { type: 'string', default: '20' },
    wait: { type: 'string', default: '2000' },
  },
});

const src = o.src!;
const dst = o.dst!;
const size = bounded('size', o.size, 0, 64_000);
const count = bounded('count', o.count, 1, 100);
const gap = 1000 / bounded('rate', o.rate, 1, 200);
const wait = bounded('wait', o.wait, 100, 5000);
const tcp = o.transport === 'tcp';
const sport = 20_000 + Math.floor(Math.random() * 20_000);

function message(method: string, cseq: number, callId: string, auth: string | null): string {
  const lines = (pad: string) => [
    `${method} sip:${method === 'REGISTER' ? dst : `${o.user}@${dst}`} SIP/2.0`,
    `Via: SIP/2.0/${tcp ? 'TCP' : 'UDP'} ${src}:${sport};rport;branch=z9hG4bK-${callId}-${cseq}`,
    'Max-Forwards: 70',
    `From: <sip:${o.user}@${dst}>;tag=big${cseq}`,
    `To: <sip:${o.user}@${dst}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:${o.user}@${src}:${sport}>`,
    `X-Pad: ${pad}`,
    `User-Agent: ${o.ua}`,
    ...(auth ? [auth] : []),
    'Content-Length: 0',
    '',
    '',
  ];
  const base = lines('').join('\r\n').length;
  return lines('x'.repeat(Math.max(0, size - base))).join('\r\n');
}

function digest(challenge: string, method: string, uri: string, password: string): string {
  const realm = /realm="([^"]*)"/.exec(challenge)?.[1] ?? '';
  const nonce = /nonce="([^"]*)"/.exec(challenge)?.[1] ?? '';
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const response = md5(`${md5(`${o.user}:${realm}:${password}`)}:${nonce}:${md5(`${method}:${uri}`)}`);
  return `Authorization: Digest username="${o.user}",realm="${realm}",nonce="${nonce}",uri="${uri}",response="${response}",algorithm=MD5`;
}

interface Channel {
  send(text: string): Promise<string | null>;
  close(): void;
}

function udpChannel(): Promise<Channel> {
  const sock = createSocket(dst.includes(':') ? 'udp6' : 'udp4');
  let waiting: ((s: string) => void) | null = null;
  sock.on('message', (m) => waiting?.(m.toString('latin1')));
  return new Promise((resolve) =>
    sock.bind(sport, src, () =>
      resolve({
        send: (text) =>
          new Promise((done) => {
            const t = setTimeout(() => done(null), wait);
            waiting = (s) => {
              // Provisional answers (100 Trying) are not the final one.
              if (/^SIP\/2\.0 1\d\d/.test(s)) return;
              clearTimeout(t);
              done(s);
            };
            sock.send(Buffer.from(text, 'latin1'), 5060, dst);
          }),
        close: () => sock.close(),
      }),
    ),
  );
}

function tcpChannel(): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: dst, port: 5060, localAddress: src, localPort: sport }, () => {
      let buf = '';
      let waiting: ((s: string) => void) | null = null;
      s.on('data', (d) => {
        buf += d.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const msg = buf.slice(0, end);
        buf = buf.slice(end + 4);
        if (!/^SIP\/2\.0 1\d\d/.test(msg)) waiting?.(msg);
      });
      resolve({
        send: (text) =>
          new Promise((done) => {
            const t = setTimeout(() => done(null), wait);
            waiting = (m) => {
              clearTimeout(t);
              done(m);
            };
            s.write(Buffer.from(text, 'latin1'));
          }),
        close: () => s.destroy(),
      });
    });
    s.on('error', reject);
  });
}

const status = (answer: string | null) => (answer ? Number(answer.slice(8, 11)) : null);
const ch = await (tcp ? tcpChannel() : udpChannel());
let started = Date.now();
try {
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, Math.max(0, gap - (Date.now() - started))));
    started = Date.now();
    const callId = `big-${process.pid}-${i}`;
    if (o.mode === 'options') {
      console.log(JSON.stringify({ status: status(await ch.send(message('OPTIONS', 1, callId, null))) }));
      continue;
    }
    const first = await ch.send(message('REGISTER', 1, callId, null));
    if (status(first) !== 401 || first === null) {
      console.log(JSON.stringify({ status: status(first) }));
      continue;
    }
    const uri = `sip:${dst}`;
    const auth = digest(first, 'REGISTER', uri, `wrong-${i}`);
    console.log(JSON.stringify({ status: status(await ch.send(message('REGISTER', 2, callId, auth))) }));
  }
} finally {
  ch.close();
}
