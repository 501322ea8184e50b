/**
 * Synthetic traffic for the warm-up the daemon runs before it says it is ready.
 *
 * Why: a fresh daemon's first block reached the kernel 22–52 ms after the threshold
 * answer, later ones ~3 ms (issue 13): the first attack paid for starting `nft -i` and
 * for running every function of the packet path for the first time (V8 compiles a
 * function when it first runs and optimises it after many runs). An attacker warms
 * nothing up for us, so the daemon does it itself: it pushes these frames through a
 * throwaway decoder and engine of the same classes (their code and type feedback are
 * shared with the live ones; their state is not), before capture starts.
 *
 * The traffic: phones doing the digest dance (REGISTER → 401 → REGISTER with credentials
 * → 200), a password guesser (REGISTER with credentials → 401, over the threshold) and a
 * scanner (OPTIONS with a tool's User-Agent), from TEST-NET-1 (RFC 5737) to TEST-NET-2,
 * as Ethernet/IPv4/UDP frames. 200 rounds (~5000 messages) take 0.1–0.4 s here: cold code runs
 * at ~50 µs a message, ten times its warm speed.
 */

const LOCAL = [198, 51, 100, 10];
const MAC = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];

export interface WarmFrame {
  at: number;
  frame: Uint8Array;
}

export interface WarmOptions {
  /** A SIP port of the configuration. */
  port: number;
  /** Packet time of the first frame (epoch seconds). */
  at: number;
  /** Failed answers the guesser gets per round (HIT_COUNT + 1 makes it cross the threshold). */
  failures: number;
  rounds: number;
}

/** Ethernet + IPv4 + UDP around a SIP text (checksums are not checked by the decoder). */
export function udpFrame(
  src: number[],
  sport: number,
  dst: number[],
  dport: number,
  text: string,
): Uint8Array {
  const payload = text.length;
  const f = new Uint8Array(14 + 20 + 8 + payload);
  f.set(MAC, 0);
  f[12] = 0x08;
  const ip = 14;
  f[ip] = 0x45;
  const total = 20 + 8 + payload;
  f[ip + 2] = total >> 8;
  f[ip + 3] = total & 255;
  f[ip + 8] = 64;
  f[ip + 9] = 17;
  f.set(src, ip + 12);
  f.set(dst, ip + 16);
  const udp = ip + 20;
  f[udp] = sport >> 8;
  f[udp + 1] = sport & 255;
  f[udp + 2] = dport >> 8;
  f[udp + 3] = dport & 255;
  f[udp + 4] = (8 + payload) >> 8;
  f[udp + 5] = (8 + payload) & 255;
  for (let i = 0; i < payload; i++) f[udp + 8 + i] = text.charCodeAt(i) & 255;
  return f;
}

function register(
  ip: string,
  user: string,
  callId: string,
  cseq: number,
  ua: string,
  creds: boolean,
): string {
  const auth = creds
    ? `Authorization: Digest username="${user}", realm="warm.invalid", nonce="6a1c0e2f", ` +
      `uri="sip:warm.invalid", response="0123456789abcdef0123456789abcdef", algorithm=MD5\r\n`
    : '';
  return (
    `REGISTER sip:warm.invalid SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${ip}:5062;branch=z9hG4bK${callId}${cseq};rport\r\n` +
    `From: <sip:${user}@warm.invalid>;tag=${callId}\r\n` +
    `To: <sip:${user}@warm.invalid>\r\n` +
    `Call-ID: ${callId}\r\n` +
    `CSeq: ${cseq} REGISTER\r\n` +
    `Contact: <sip:${user}@${ip}:5062>\r\n` +
    `User-Agent: ${ua}\r\n${auth}Expires: 3600\r\nContent-Length: 0\r\n\r\n`
  );
}

function answer(
  ip: string,
  user: string,
  callId: string,
  cseq: number,
  status: string,
  method = 'REGISTER',
): string {
  const challenge = status.startsWith('401')
    ? 'WWW-Authenticate: Digest realm="warm.invalid", nonce="6a1c0e2f", algorithm=MD5\r\n'
    : '';
  return (
    `SIP/2.0 ${status}\r\n` +
    `Via: SIP/2.0/UDP ${ip}:5062;branch=z9hG4bK${callId}${cseq};rport\r\n` +
    `From: <sip:${user}@warm.invalid>;tag=${callId}\r\n` +
    `To: <sip:${user}@warm.invalid>;tag=as0a1b2c3d\r\n` +
    `Call-ID: ${callId}\r\n` +
    `CSeq: ${cseq} ${method}\r\n${challenge}Server: warm-up\r\nContent-Length: 0\r\n\r\n`
  );
}

function options(ip: string, callId: string): string {
  return (
    `OPTIONS sip:100@warm.invalid SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${ip}:5060;branch=z9hG4bK${callId}\r\n` +
    `From: "sipvicious"<sip:100@1.1.1.1>;tag=${callId}\r\n` +
    `To: "sipvicious"<sip:100@1.1.1.1>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\n` +
    `User-Agent: friendly-scanner\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n`
  );
}

/** The warm-up frames, in packet-time order, 1 ms apart. */
export function warmUpFrames(o: WarmOptions): WarmFrame[] {
  const out: WarmFrame[] = [];
  let at = o.at;
  const push = (src: number[], sport: number, dst: number[], dport: number, text: string) => {
    out.push({ at, frame: udpFrame(src, sport, dst, dport, text) });
    at += 0.001;
  };
  for (let r = 0; r < o.rounds; r++) {
    const phone = [192, 0, 2, 1 + (r % 100)];
    const ip = phone.join('.');
    const user = String(200 + (r % 50));
    const id = `w${r}p`;
    push(phone, 5062, LOCAL, o.port, register(ip, user, id, 1, 'Yealink SIP-T46S', false));
    push(LOCAL, o.port, phone, 5062, answer(ip, user, id, 1, '401 Unauthorized'));
    push(phone, 5062, LOCAL, o.port, register(ip, user, id, 2, 'Yealink SIP-T46S', true));
    push(LOCAL, o.port, phone, 5062, answer(ip, user, id, 2, '200 OK'));
    const guesser = [192, 0, 2, 101 + (r % 100)];
    const gip = guesser.join('.');
    for (let k = 0; k < o.failures; k++) {
      const gid = `w${r}g${k}`;
      push(guesser, 5062, LOCAL, o.port, register(gip, '100', gid, 1, 'sipp', true));
      push(LOCAL, o.port, guesser, 5062, answer(gip, '100', gid, 1, '401 Unauthorized'));
    }
    push([192, 0, 2, 201 + (r % 50)], 5060, LOCAL, o.port, options('192.0.2.201', `w${r}s`));
  }
  return out;
}
