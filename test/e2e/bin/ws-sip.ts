/**
 * A SIP-over-WebSocket client (RFC 7118; run inside a lab namespace): the `ws` package
 * opens the connection (subprotocol "sip") from a given source address, and each SIP
 * message travels as one text frame, with Via `SIP/2.0/WS(S) <random>.invalid` and a
 * `;transport=ws` Contact, as browser phones (JsSIP, SIP.js) send them. Debian's sipp
 * speaks no WebSocket, so the lab's WS phones and WS attacker are this.
 *
 *   node --import tsx ws-sip.ts --url ws://10.77.1.1:8080 --src 10.77.1.66 \
 *     --mode guess --user 100 --count 15 --rate 5 --timeout 20 [--give-up 2]
 *   ... --mode register --users 100,101 --loops 6 --interval 2000 --timeout 60
 *   ... --mode probe --timeout 5      (exit 0 when a WebSocket opens, 1 when not)
 *
 * guess: one REGISTER → 401 → REGISTER with a wrong password (scripts/lab/sipp/
 * passwords.txt) → 401/403 per password, on one connection, RATE per second; with
 * --give-up N the run ends after N guesses in a row got no answer (a blocked attacker:
 * each further one would only wait its 3 s, 20 s of a test's time for 15 guesses).
 * register: every user (password from scripts/lab/users.csv) on a connection of its own:
 * REGISTER → 401 → REGISTER with the right credentials → 200, LOOPS times, one every
 * INTERVAL ms. Bounded: at most 100 guesses, 100 loops, 10 users; every answer waited
 * for at most 3 s and never past --timeout s (at most 600), when the run ends (exit 2 if
 * it must be cut). Prints one JSON
 * line per exchange ({"user":"100","status":200}) and, for probe, {"open":true|false}.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { bounded } from './bounded.js';

const LAB = join(import.meta.dirname, '..', '..', '..', 'scripts', 'lab');
const ANSWER_MS = 3000;

const { values: o } = parseArgs({
  options: {
    url: { type: 'string' },
    src: { type: 'string' },
    mode: { type: 'string', default: 'register' },
    user: { type: 'string', default: '100' },
    users: { type: 'string', default: '100' },
    count: { type: 'string', default: '10' },
    rate: { type: 'string', default: '5' },
    loops: { type: 'string', default: '1' },
    interval: { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '60' },
    'give-up': { type: 'string', default: '0' },
    ua: { type: 'string', default: 'JsSIP 3.10.1' },
  },
});

const url = new URL(o.url ?? '');
if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`--url must be ws:// or wss://`);
const src = o.src ?? '';
if (!/^[0-9a-f.:]+$/.test(src)) throw new Error('--src must be an address of this namespace');
const host = url.hostname.replace(/^\[|\]$/g, '');
const hostUri = host.includes(':') ? `[${host}]` : host;
const via = url.protocol === 'wss:' ? 'WSS' : 'WS';
const deadline = Date.now() + bounded('timeout', o.timeout, 1, 600) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const token = () => randomBytes(6).toString('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

interface Answer {
  status: number;
  headers: Map<string, string>;
}

/** One WebSocket to the registrar; answers are matched to requests by CSeq and Call-ID. */
class Line {
  private readonly waiting = new Map<string, (a: Answer | null) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.onFrame(String(data)));
    ws.on('close', () => this.failAll());
    ws.on('error', () => this.failAll());
  }

  static open(ms: number): Promise<Line | null> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, 'sip', {
        localAddress: src,
        handshakeTimeout: ms,
        rejectUnauthorized: false, // the lab's certificate is self-signed
      });
      ws.once('open', () => resolve(new Line(ws)));
      ws.once('error', () => resolve(null));
      ws.once('close', () => resolve(null));
    });
  }

  /** Sends one request and waits for its final answer (null: none within ANSWER_MS). */
  request(text: string, key: string): Promise<Answer | null> {
    return new Promise((resolve) => {
      // Never past the run's end: an unanswered guess after a block ends the run on time.
      const timer = setTimeout(() => done(null), Math.max(0, Math.min(ANSWER_MS, deadline - Date.now())));
      const done = (a: Answer | null) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(a);
      };
      this.waiting.set(key, done);
      if (this.ws.readyState !== WebSocket.OPEN) done(null);
      else this.ws.send(text, (err) => err && done(null));
    });
  }

  close(): void {
    this.ws.terminate();
  }

  private onFrame(text: string): void {
    const [head = ''] = text.split('\r\n\r\n', 1);
    const [first = '', ...rest] = head.split('\r\n');
    const m = /^SIP\/2\.0 (\d{3}) /.exec(first);
    if (!m) return; // a request from the registrar: not part of these exchanges
    const status = Number(m[1]);
    if (status < 200) return;
    const headers = new Map<string, string>();
    for (const line of rest) {
      const i = line.indexOf(':');
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const key = `${headers.get('call-id')} ${/^\d+/.exec(headers.get('cseq') ?? '')?.[0]}`;
    this.waiting.get(key)?.({ status, headers });
  }

  private failAll(): void {
    for (const done of [...this.waiting.values()]) done(null);
  }
}

/** A REGISTER from `user` (RFC 7118 §5: a Via and Contact of a made-up .invalid host). */
function register(user: string, callId: string, cseq: number, tag: string, auth: string | null): string {
  const lines = [
    `REGISTER sip:${hostUri} SIP/2.0`,
    `Via: SIP/2.0/${via} ${tag}.invalid;branch=z9hG4bK${token()}`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${hostUri}>;tag=${tag}`,
    `To: <sip:${user}@${hostUri}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user}@${tag}.invalid;transport=ws>;expires=60`,
    'Expires: 60',
    `User-Agent: ${o.ua}`,
  ];
  if (auth) lines.push(`Authorization: ${auth}`);
  return `${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
}

/** The Authorization answering a WWW-Authenticate challenge (RFC 2617 MD5, qop=auth if offered). */
function authorization(challenge: string, user: string, password: string): string {
  const param = (k: string) => new RegExp(`${k}="?([^",]*)"?`, 'i').exec(challenge)?.[1] ?? '';
  const realm = param('realm');
  const nonce = param('nonce');
  const uri = `sip:${hostUri}`;
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`REGISTER:${uri}`);
  const base = `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", algorithm=MD5`;
  if (!/qop="?[^"]*\bauth\b/i.test(challenge)) return `${base}, response="${md5(`${ha1}:${nonce}:${ha2}`)}"`;
  const cnonce = token();
  const response = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
  return `${base}, response="${response}", qop=auth, nc=00000001, cnonce="${cnonce}"`;
}

/** REGISTER → challenge → REGISTER with `password`: the final status (0: no answer). */
async function exchange(
  line: Line,
  user: string,
  password: string,
  callId: string,
  cseq: number,
  tag: string,
) {
  const first = await line.request(register(user, callId, cseq, tag, null), `${callId} ${cseq}`);
  if (!first) return 0;
  const challenge = first.headers.get('www-authenticate');
  if (first.status !== 401 || !challenge) return first.status;
  const auth = authorization(challenge, user, password);
  const second = await line.request(register(user, callId, cseq + 1, tag, auth), `${callId} ${cseq + 1}`);
  return second?.status ?? 0;
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

async function guess(): Promise<void> {
  const count = bounded('count', o.count, 1, 100);
  const gap = 1000 / bounded('rate', o.rate, 1, 50);
  const giveUp = bounded('give-up', o['give-up'], 0, 100);
  let unanswered = 0;
  const passwords = lines(join(LAB, 'sipp', 'passwords.txt')).slice(0, count);
  const line = await Line.open(ANSWER_MS);
  if (!line) return void console.log(JSON.stringify({ user: o.user, status: 0, open: false }));
  const tag = token();
  for (const [i, password] of passwords.entries()) {
    if (Date.now() > deadline) break;
    const started = Date.now();
    // One Call-ID per guess, as sipp's brute force makes them.
    const status = await exchange(line, o.user ?? '100', password, `${token()}-${i}`, 1, tag);
    console.log(JSON.stringify({ user: o.user, status }));
    unanswered = status === 0 ? unanswered + 1 : 0;
    if (giveUp > 0 && unanswered >= giveUp) break;
    await sleep(gap - (Date.now() - started));
  }
  line.close();
}

async function phone(user: string, password: string, loops: number, interval: number): Promise<void> {
  const line = await Line.open(ANSWER_MS);
  if (!line) return void console.log(JSON.stringify({ user, status: 0, open: false }));
  const callId = token();
  const tag = token();
  for (let i = 0; i < loops && Date.now() < deadline; i++) {
    const started = Date.now();
    const status = await exchange(line, user, password, callId, 2 * i + 1, tag);
    console.log(JSON.stringify({ user, status }));
    if (i + 1 < loops) await sleep(interval - (Date.now() - started));
  }
  line.close();
}

async function phones(): Promise<void> {
  const loops = bounded('loops', o.loops, 1, 100);
  const interval = bounded('interval', o.interval, 100, 60_000);
  const accounts = new Map(lines(join(LAB, 'users.csv')).map((l) => l.split(';') as [string, string]));
  const users = (o.users ?? '').split(',').slice(0, 10);
  const runs = users.map((user) => {
    const password = accounts.get(user);
    if (!password) throw new Error(`user ${user} is not in users.csv`);
    return phone(user, password, loops, interval);
  });
  await Promise.all(runs);
}

async function probe(): Promise<void> {
  const line = await Line.open(Math.max(1, deadline - Date.now()));
  console.log(JSON.stringify({ open: line !== null }));
  line?.close();
  process.exitCode = line ? 0 : 1;
}

const modes: Record<string, () => Promise<void>> = { guess, register: phones, probe };
const run = modes[o.mode ?? ''];
if (!run) throw new Error(`--mode must be guess, register or probe`);
// The hard bound, whatever the registrar does (a handshake that hangs).
setTimeout(() => process.exit(2), deadline - Date.now() + 2000).unref();
await run();
