/**
 * The SIP lab of the latency benchmarks (scripts/lab: network namespaces, Kamailio with
 * digest auth in the PBX namespace, an attacker namespace with 100 extra addresses
 * 10.77.1.100-199) and one measured attack in it:
 *
 * - tcpdump on the PBX's eth0 (nanosecond timestamps) records the attacker's packets;
 * - the attacker sends ICMP echo probes every 1 ms (probe.py; Node has no raw sockets);
 * - sipp brute force (bruteforce.xml: REGISTER → 401 → REGISTER with a wrong password →
 *   401, new Call-ID per guess), bounded in count (3 × HIT_COUNT … 200 guesses) and time;
 * - analyze.ts reads the capture: threshold answer, block moment, answered failures.
 * Every process is started with an argument array and stopped by PID (proc.ts).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { addedElements } from '../nft-monitor.js';
import { analyzeRun, type RunMeasure } from './analyze.js';
import { run, sleep, startIn, stop, waitFor } from './proc.js';

const HERE = dirname(new URL(import.meta.url).pathname);
const REPO = dirname(dirname(HERE));
const LAB = join(REPO, 'scripts/lab');
export const PROBE_MS = 1;

export interface Lab {
  id: string;
  pbxNs: string;
  atkNs: string;
  pbx4: string;
  attackers: string[];
  registrarLog: string;
}

export interface AttackResult extends RunMeasure {
  guesses: number;
  /** Epoch s when sipp was started. */
  sippAt: number;
}

/** Guesses per run: at least 3 × HIT_COUNT, about 2 s of attack, at most 200. */
export const guessesAt = (rate: number, hit: number) => Math.min(200, Math.max(3 * hit, rate * 2));
const labEnv = (id: string) => ({ ...process.env, LAB_ID: id, LAB_NET: '1' });

export async function labUp(id: string): Promise<Lab> {
  const r = await run('bash', [join(LAB, 'lab.sh'), 'up', id], { timeoutMs: 90_000, env: labEnv(id) });
  if (r.code !== 0) throw new Error(`lab.sh up failed: ${r.stderr}`);
  const attackers = Array.from({ length: 100 }, (_, i) => `10.77.1.${100 + i}`);
  return {
    id,
    pbxNs: `sp-${id}-pbx`,
    atkNs: `sp-${id}-atk`,
    pbx4: '10.77.1.1',
    attackers,
    registrarLog: `/run/sipprot-lab/${id}/kamailio.log`,
  };
}

export async function labDown(id: string, keepIn?: string): Promise<void> {
  // The lab's run dir (registrar log, sipp logs) goes with it; keep a copy when asked.
  if (keepIn) await run('cp', ['-r', `/run/sipprot-lab/${id}`, join(keepIn, `lab-${id}`)]);
  await run('bash', [join(LAB, 'lab.sh'), 'down', id], { timeoutMs: 60_000, env: labEnv(id) });
}

export interface AttackOptions {
  attacker: string;
  rate: number;
  hit: number;
  /** How long after the attack to keep probing (the guard may be slow). */
  extraMs: number;
  /** File name prefix in `dir`. */
  tag: string;
}

/** One attack from `o.attacker`, captured and probed; returns the capture's measures. */
export async function attack(lab: Lab, dir: string, o: AttackOptions): Promise<AttackResult> {
  const guesses = guessesAt(o.rate, o.hit);
  const attackS = guesses / o.rate;
  const pcap = join(dir, `${o.tag}.pcap`);
  const tdLog = join(dir, `${o.tag}.tcpdump.log`);
  const td = startIn(
    lab.pbxNs,
    'tcpdump',
    'tcpdump',
    [
      '-i',
      'eth0',
      '-n',
      '-U',
      '-B',
      '8192',
      '--time-stamp-precision',
      'nano',
      '-w',
      pcap,
      'host',
      o.attacker,
    ],
    tdLog,
  );
  let sippAt = 0;
  try {
    await waitFor(
      'tcpdump to listen',
      10_000,
      () => existsSync(tdLog) && readFileSync(tdLog, 'utf8').includes('listening on'),
    );
    const windowMs = 300 + attackS * 1000 + o.extraMs;
    const probe = startIn(
      lab.atkNs,
      'probe',
      existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
      [join(HERE, 'probe.py'), o.attacker, lab.pbx4, `${PROBE_MS}`, `${Math.ceil(windowMs / PROBE_MS)}`],
      join(dir, `${o.tag}.probe.log`),
    );
    await sleep(300);
    const timeoutS = Math.ceil(attackS) + 4;
    sippAt = Date.now() / 1000;
    // Same sipp options as scripts/lab/bruteforce.sh (at most 10 calls at once, 3 s answer timeout).
    const sipp = startIn(
      lab.atkNs,
      'sipp',
      'sipp',
      [
        ...['-sf', join(HERE, 'bruteforce.xml'), '-t', 'u1', '-i', o.attacker],
        ...['-s', '100', '-au', '100', '-ap', 'not-the-password'],
        ...['-r', `${o.rate}`, '-rp', '1000', '-l', '10', '-m', `${guesses}`],
        ...['-timeout', `${timeoutS}s`, '-recv_timeout', '3000', '-max_retrans', '2', '-nostdin'],
        `${lab.pbx4}:5060`,
      ],
      join(dir, `${o.tag}.sipp.log`),
    );
    await Promise.race([sipp.exited, sleep((timeoutS + 5) * 1000)]);
    await stop(sipp);
    await Promise.race([probe.exited, sleep(windowMs + 5000)]);
    await stop(probe);
    await sleep(100);
  } finally {
    await stop(td, 'SIGINT');
  }
  const m = analyzeRun(pcap, o.attacker, lab.pbx4, o.hit);
  rmSync(pcap, { force: true });
  return { ...m, guesses, sippAt };
}

/** `nft monitor` in `ns`: when each address was first added to a set (add or create), after a mark. */
export class NftWatch {
  private readonly adds: Array<{ ip: string; at: number }> = [];
  private proc: ReturnType<typeof startIn> | null = null;

  start(ns: string, errLog: string): void {
    this.proc = startIn(ns, 'nft-monitor', 'nft', ['monitor'], errLog, (line, at) => {
      for (const ip of addedElements(line)?.addresses ?? []) this.adds.push({ ip, at });
    });
  }

  /** First time (epoch s, as read here: an upper bound) `ip` was added after `since`. */
  addedAt(ip: string, since: number): number | null {
    return this.adds.find((a) => a.ip === ip && a.at >= since)?.at ?? null;
  }

  async stop(): Promise<void> {
    if (this.proc) await stop(this.proc);
    this.proc = null;
  }
}
