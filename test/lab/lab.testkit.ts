/**
 * The SIP lab (scripts/lab/) from TypeScript, for end-to-end tests and demos: network
 * namespaces with a real Kamailio registrar, phones and attackers using real tools.
 * Runs as root. Everything is sent only between the lab's own namespaces.
 *
 *   const lab = await Lab.up();                 // unique id per call
 *   try {
 *     await lab.script('phones', ['--loops', '2', '--interval', '1000']);
 *     await lab.script('bruteforce', ['--transport', 'tcp', '--count', '10']);
 *     const fails = await lab.authFailures();   // parsed from Kamailio's log
 *   } finally {
 *     await lab.down();
 *   }
 *
 * A guard runs in the PBX namespace: `lab.exec('pbx', [...])` or
 * `['ip', 'netns', 'exec', lab.ns.pbx, ...]`; it sees the traffic on `eth0` (or `any`).
 * Labs still up when the test process exits are taken down by an exit hook; labs left by
 * a test process that died without it (kill -9) are taken down by the next `Lab.up()`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'lab');

export type LabScript =
  | 'phones'
  | 'bruteforce'
  | 'distributed'
  | 'misconfigured'
  | 'sipvicious'
  | 'office'
  | 'scanners';
export type LabNamespace = 'pbx' | 'atk' | 'phones' | 'br';

export interface LabOptions {
  /** 1-16 of a-z0-9; default unique per process and call. */
  id?: string;
  /** The third octet of 10.77.N.0/24 and fd77:N::/64 (1-254, default 1). */
  net?: number;
  /** The registrar's answer to a wrong password (default 401, a new challenge). */
  wrongPassword?: 401 | 403;
  /** The registrar's answer to a REGISTER for an unknown user (default 404). */
  unknownUser?: 404 | 401;
  /** Seconds a nonce stays valid (default 300). */
  nonceExpire?: number;
  /** The PBX's way of answering: 'pjsip' challenges and refuses everything with 401. */
  style?: 'kamailio' | 'pjsip';
  /** Seconds between the PBX's OPTIONS qualify of every registered contact (default 0: off). */
  qualify?: number;
  /** Answers to unauthenticated INVITEs by source address (401 403 404 407 484 503). */
  guestMap?: Record<string, 401 | 403 | 404 | 407 | 484 | 503>;
  /** SIP over TLS on port 5061 too (self-signed certificate; clients reach it with --transport tls). */
  tls?: boolean;
  /** SIP over WebSocket on port 8080 (RFC 7118), and over secure WebSocket on 4443 when `tls` too. */
  ws?: boolean;
  /** IPV4:PORT in the PBX namespace: Kamailio's siptrace mirrors all its SIP there as HEPv3. */
  hep?: string;
}

export interface LabAddresses {
  pbx4: string;
  pbx6: string;
  atk4: string;
  atk6: string;
  phone4: string;
  phone6: string;
}

export interface LabResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One failed authentication as the registrar logged it. */
export interface AuthFailure {
  time: string;
  reason: string;
  method: string;
  user: string;
  src: string;
  port: number;
  proto: string;
  ua: string;
}

let counter = 0;
const live = new Set<Lab>();
let hooked = false;

function run(argv: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<LabResult> {
  const [bin, ...args] = argv;
  return new Promise((resolve) => {
    execFile(
      bin as string,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        killSignal: 'SIGKILL',
        env: { ...process.env, ...env },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const lab of live) {
      try {
        execFileSync(join(LAB_SCRIPTS, 'lab.sh'), ['down', lab.id], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        // best effort at exit; `lab.sh down ID` can be run by hand
      }
    }
  });
}

/** Why the lab cannot run here, or null when it can (root and the tools present). */
export function labUnavailable(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'the SIP lab needs root';
  for (const tool of ['/usr/sbin/kamailio', '/usr/bin/sipp', '/usr/bin/svwar', '/usr/bin/tcpdump']) {
    if (!existsSync(tool)) return `${tool} is missing (scripts/setup.sh installs it)`;
  }
  return null;
}

/** Default ids are t<pid base 36>x<counter>: the pid tells whether the owner still lives. */
function ownerAlive(id: string): boolean {
  const m = /^t([0-9a-z]+)x[0-9a-z]+$/.exec(id);
  if (!m) return true; // not ours to judge
  const pid = Number.parseInt(m[1] as string, 36);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes down labs with default ids whose test process is gone. */
export async function removeStaleLabs(): Promise<string[]> {
  if (!existsSync('/run/sipprot-lab')) return [];
  const removed: string[] = [];
  for (const id of readdirSync('/run/sipprot-lab')) {
    if (ownerAlive(id)) continue;
    const r = await run([join(LAB_SCRIPTS, 'lab.sh'), 'down', id], {}, 60_000);
    if (r.code === 0) removed.push(id);
  }
  return removed;
}

export class Lab {
  readonly id: string;
  readonly net: number;
  readonly addr: LabAddresses;
  readonly ns: Record<LabNamespace, string>;
  readonly runDir: string;
  readonly kamailioLog: string;
  private readonly env: Record<string, string>;

  private constructor(id: string, net: number, env: Record<string, string>) {
    this.id = id;
    this.net = net;
    this.env = env;
    this.addr = {
      pbx4: `10.77.${net}.1`,
      pbx6: `fd77:${net}::1`,
      atk4: `10.77.${net}.66`,
      atk6: `fd77:${net}::66`,
      phone4: `10.77.${net}.20`,
      phone6: `fd77:${net}::20`,
    };
    this.ns = { pbx: `sp-${id}-pbx`, atk: `sp-${id}-atk`, phones: `sp-${id}-phones`, br: `sp-${id}-br` };
    this.runDir = `/run/sipprot-lab/${id}`;
    this.kamailioLog = join(this.runDir, 'kamailio.log');
  }

  /** Creates the namespaces and starts Kamailio; throws with the script's message on failure. */
  static async up(opts: LabOptions = {}): Promise<Lab> {
    const id = opts.id ?? `t${process.pid.toString(36)}x${(counter++).toString(36)}`;
    if (!/^[a-z0-9]{1,16}$/.test(id)) throw new Error(`invalid lab id '${id}' (1-16 of a-z, 0-9)`);
    const net = opts.net ?? 1;
    if (!Number.isInteger(net) || net < 1 || net > 254) throw new Error(`invalid lab net ${net} (1-254)`);
    const env: Record<string, string> = { LAB_ID: id, LAB_NET: String(net) };
    if (opts.wrongPassword) env.LAB_WRONG_PW = String(opts.wrongPassword);
    if (opts.unknownUser) env.LAB_UNKNOWN_USER = String(opts.unknownUser);
    if (opts.nonceExpire) env.LAB_NONCE_EXPIRE = String(opts.nonceExpire);
    if (opts.style) env.LAB_STYLE = opts.style;
    if (opts.qualify) env.LAB_QUALIFY = String(opts.qualify);
    if (opts.tls) env.LAB_TLS = '1';
    if (opts.ws) env.LAB_WS = '1';
    if (opts.hep) env.LAB_HEP = opts.hep;
    if (opts.guestMap)
      env.LAB_GUEST_MAP = Object.entries(opts.guestMap)
        .map(([ip, code]) => `${ip}=${code}`)
        .join(' ');
    await removeStaleLabs();
    const lab = new Lab(id, net, env);
    hookExit();
    live.add(lab);
    const r = await run([join(LAB_SCRIPTS, 'lab.sh'), 'up', id], env, 60_000);
    if (r.code !== 0) {
      live.delete(lab);
      throw new Error(`lab.sh up ${id} failed (${r.code}): ${r.stderr.trim()}`);
    }
    return lab;
  }

  /** The i-th extra attacker address (0-99): 10.77.N.(100+i). */
  extraAttacker4(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i > 99) throw new Error(`extra attacker index ${i} is not 0-99`);
    return `10.77.${this.net}.${100 + i}`;
  }

  /** The i-th extra IPv6 attacker address (0-99): fd77:N::(100+i), spelled like the IPv4 one. */
  extraAttacker6(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i > 99) throw new Error(`extra attacker index ${i} is not 0-99`);
    return `fd77:${this.net}::${100 + i}`;
  }

  /** Runs one of the lab's traffic scripts (bounded by the script itself). */
  script(name: LabScript, args: string[] = [], timeoutMs = 300_000): Promise<LabResult> {
    return run([join(LAB_SCRIPTS, `${name}.sh`), ...args], this.env, timeoutMs);
  }

  /** Runs a command inside one of the lab's namespaces. */
  exec(ns: LabNamespace, argv: string[], timeoutMs = 60_000): Promise<LabResult> {
    return run(['ip', 'netns', 'exec', this.ns[ns], ...argv], {}, timeoutMs);
  }

  /** True when every namespace exists and Kamailio runs and listens. */
  async status(): Promise<boolean> {
    return (await run([join(LAB_SCRIPTS, 'lab.sh'), 'status', this.id], this.env)).code === 0;
  }

  /** The failed authentications Kamailio has logged so far, oldest first. */
  authFailures(): AuthFailure[] {
    if (!existsSync(this.kamailioLog)) return [];
    const out: AuthFailure[] = [];
    const re =
      /(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) sipprot-lab: auth-failed reason=(\S+) method=(\S+) user=(\S*) src=(\S+) port=(\d+) proto=(\S+) ua=(.*)$/;
    for (const line of readFileSync(this.kamailioLog, 'utf8').split('\n')) {
      const m = re.exec(line);
      if (!m) continue;
      out.push({
        time: m[1] as string,
        reason: m[2] as string,
        method: m[3] as string,
        user: m[4] as string,
        src: m[5] as string,
        port: Number(m[6]),
        proto: m[7] as string,
        ua: (m[8] as string).trim(),
      });
    }
    return out;
  }

  /** Users whose registration succeeded, with the source address, as Kamailio logged them. */
  registrations(): { user: string; src: string; proto: string }[] {
    if (!existsSync(this.kamailioLog)) return [];
    const out: { user: string; src: string; proto: string }[] = [];
    const re = /sipprot-lab: registered user=(\S+) src=(\S+) port=\d+ proto=(\S+)/;
    for (const line of readFileSync(this.kamailioLog, 'utf8').split('\n')) {
      const m = re.exec(line);
      if (m) out.push({ user: m[1] as string, src: m[2] as string, proto: m[3] as string });
    }
    return out;
  }

  /** Stops the lab's processes and deletes its namespaces; safe to call twice. */
  async down(): Promise<void> {
    const r = await run([join(LAB_SCRIPTS, 'lab.sh'), 'down', this.id], this.env, 60_000);
    live.delete(this);
    if (r.code !== 0) throw new Error(`lab.sh down ${this.id} failed (${r.code}): ${r.stderr.trim()}`);
  }
}
