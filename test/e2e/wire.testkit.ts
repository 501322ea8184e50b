/**
 * What the attacker really got back: tcpdump inside a lab namespace (the attacker's),
 * read back with tcpdump itself. Nothing of sipprot parses these packets, so the tests
 * judge the daemon with an independent witness.
 *
 *   const wire = await Wire.start(lab, 'atk');
 *   ... attack ...
 *   const pkts = await wire.stop();
 *   const answers = sipAnswers(pkts, { to: lab.addr.atk4 });
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab, LabNamespace } from '../lab/lab.testkit.js';
import { run, sleep, waitFor } from './guard.testkit.js';

export interface Packet {
  /** Capture time, epoch seconds. */
  at: number;
  src: string;
  dst: string;
  /** The packet as tcpdump -A prints it (headers as noise, SIP text readable). */
  text: string;
}

/** A SIP message found in a packet. */
export interface SipSeen {
  at: number;
  src: string;
  dst: string;
  /** Status code of an answer; null for a request. */
  status: number | null;
  method: string | null;
  cseq: number | null;
  callId: string | null;
  hasCredentials: boolean;
}

export class Wire {
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly file: string,
  ) {}

  /** tcpdump on eth0 of the namespace, SIP port only; resolves once it listens. */
  static async start(lab: Lab, ns: LabNamespace = 'atk'): Promise<Wire> {
    const dir = mkdtempSync(join(tmpdir(), `sipprot-e2e-wire-${lab.id}-`));
    const file = join(dir, 'wire.pcap');
    const child = spawn(
      'ip',
      ['netns', 'exec', lab.ns[ns], 'tcpdump', '-i', 'eth0', '-nn', '-U', '-s', '0', '-w', file, 'port 5060'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const wire = new Wire(child, dir, file);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      wire.stderr += s;
    });
    await waitFor(
      'tcpdump to listen',
      () => {
        if (child.exitCode !== null) throw new Error(`tcpdump exited: ${wire.stderr}`);
        return wire.stderr.includes('listening on');
      },
      10_000,
      20,
    );
    return wire;
  }

  /** Everything captured so far, without stopping (tcpdump -U flushes per packet). */
  async read(): Promise<Packet[]> {
    const r = await run(['tcpdump', '-r', this.file, '-nn', '-tt', '-A'], 30_000);
    return parseTcpdump(r.stdout);
  }

  /** Stops tcpdump (SIGINT by PID, so the file is complete) and returns the packets. */
  async stop(): Promise<Packet[]> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await sleep(200); // the last answers in flight
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    return this.read();
  }

  dispose(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** tcpdump -nn -tt -A text → packets (first line: time, addresses; then the payload). */
export function parseTcpdump(text: string): Packet[] {
  const out: Packet[] = [];
  const head = /^(\d+\.\d+) IP6? (\S+) > (\S+): /;
  let cur: Packet | null = null;
  for (const line of text.split('\n')) {
    const m = head.exec(line);
    if (m) {
      cur = { at: Number(m[1]), src: hostOf(m[2]!), dst: hostOf(m[3]!), text: '' };
      out.push(cur);
    } else if (cur) {
      cur.text += `${line}\n`;
    }
  }
  return out;
}

/** `10.77.1.1.5060` / `fd77:1::1.5060` → the address without the port. */
function hostOf(endpoint: string): string {
  const i = endpoint.lastIndexOf('.');
  return i > 0 ? endpoint.slice(0, i) : endpoint;
}

/**
 * Every SIP message (a TCP segment may carry several) in the packets, each once: a
 * retransmission (the same message again, e.g. a TCP segment the peer resends because
 * the blocked side's ACK never arrives) counts at its first arrival only.
 */
export function sipMessages(packets: Packet[]): SipSeen[] {
  const out: SipSeen[] = [];
  const seen = new Set<string>();
  const start = /(SIP\/2\.0 (\d{3}) |(REGISTER|INVITE|OPTIONS|ACK|BYE|CANCEL) sip:)/g;
  for (const p of packets) {
    const starts: Array<{ i: number; status: number | null }> = [];
    for (const m of p.text.matchAll(start)) {
      starts.push({ i: m.index ?? 0, status: m[2] ? Number(m[2]) : null });
    }
    starts.forEach((s, k) => {
      const body = p.text.slice(s.i, k + 1 < starts.length ? starts[k + 1]!.i : undefined);
      const cseq = /CSeq: *(\d+) +([A-Z]+)/i.exec(body);
      const callId = /(?:Call-ID|\ni): *(\S+)/i.exec(body);
      const key = [p.src, p.dst, s.status, cseq?.[1], cseq?.[2], callId?.[1]].join(' ');
      if (seen.has(key)) return;
      seen.add(key);
      out.push({
        at: p.at,
        src: p.src,
        dst: p.dst,
        status: s.status,
        method: cseq ? cseq[2]!.toUpperCase() : null,
        cseq: cseq ? Number(cseq[1]) : null,
        callId: callId ? callId[1]! : null,
        hasCredentials: /(?:Proxy-)?Authorization: *Digest/i.test(body),
      });
    });
  }
  return out;
}

/** Answers the attacker received: SIP responses addressed to `to`, in time order. */
export function sipAnswers(packets: Packet[], o: { to: string }): SipSeen[] {
  return sipMessages(packets)
    .filter((m) => m.status !== null && m.dst === o.to)
    .sort((a, b) => a.at - b.at);
}

/** Requests the attacker sent from `from`, in time order. */
export function sipRequests(packets: Packet[], o: { from: string }): SipSeen[] {
  return sipMessages(packets)
    .filter((m) => m.status === null && m.src === o.from)
    .sort((a, b) => a.at - b.at);
}

/**
 * Failed authentications the attacker was told about: a 401/407 (not the first
 * challenge) or a 403 to a request that carried credentials. The brute force sends its
 * credentials on CSeq 2 of each call; the challenge answers CSeq 1.
 */
export function answeredFailures(packets: Packet[], o: { to: string; from?: string }): SipSeen[] {
  const withCredentials = new Set(
    sipMessages(packets)
      .filter((m) => m.status === null && m.hasCredentials && m.src === (o.from ?? o.to))
      .map((m) => `${m.callId} ${m.cseq}`),
  );
  return sipAnswers(packets, o).filter(
    (a) =>
      a.status === 403 ||
      ((a.status === 401 || a.status === 407) && withCredentials.has(`${a.callId} ${a.cseq}`)),
  );
}
