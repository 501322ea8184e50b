/**
 * The two guards compared, each started inside the lab's PBX namespace with everything
 * it writes under the benchmark's temp dir:
 *
 * - sipprot: `node bin/sipprotd.js --config CONF run` (build first: npx tsc -p tsconfig.json),
 *   live capture on eth0, nftables table `inet sipprot`;
 * - fail2ban from apt: `fail2ban-server -f` with its own config dir, socket, pidfile and an
 *   in-memory database (never the system instance), one jail on the registrar's log lines
 *   of failed authentications, the stock `nftables-allports` ban action.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, type Started, startIn, stop, waitFor } from './proc.js';

export interface Guard {
  readonly name: string;
  /** What was configured, for the results. */
  readonly description: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** When the guard decided to block `ip`, from its own log (epoch s, ms resolution). */
  decisionAt(ip: string): number | null;
}

export interface GuardEnv {
  /** PBX namespace. */
  ns: string;
  /** A fresh directory for this guard's files. */
  dir: string;
  hitCount: number;
}

const nftHas = async (ns: string, table: string) =>
  (await run('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', ...table.split(' ')], { timeoutMs: 5000 }))
    .code === 0;

export class SipprotGuard implements Guard {
  readonly name = 'sipprot';
  readonly description: string;
  private proc: Started | null = null;
  private readonly conf: string;
  private readonly log: string;

  constructor(
    private readonly env: GuardEnv,
    private readonly root: string,
  ) {
    mkdirSync(env.dir, { recursive: true });
    this.conf = join(env.dir, 'sipprot.conf');
    this.log = join(env.dir, 'sipprotd.log');
    const settings = [
      'INTERFACES=eth0',
      'PROTOCOLS=udp,tcp',
      'SIP_PORTS=5060',
      `HIT_COUNT=${env.hitCount}`,
      'MONIT_PERIOD=60',
      'BLOCKTIME=600',
      // Every run uses a fresh attacker address; no run may turn into a permanent entry.
      'BLOCK_THRESHOLD=0',
      `STATE_DIR=${join(env.dir, 'state')}`,
      'NOTIFY_DAILY=no',
      // decisionAt reads the JSON records.
      'LOG_FORMAT=json',
    ];
    writeFileSync(this.conf, `${settings.join('\n')}\n`);
    this.description = `sipprotd run (${root}/bin/sipprotd.js), ${settings.filter((s) => !s.startsWith('STATE_DIR')).join(' ')}`;
  }

  async start(): Promise<void> {
    this.proc = startIn(
      this.env.ns,
      'sipprotd',
      process.execPath,
      [join(this.root, 'bin/sipprotd.js'), '--config', this.conf, 'run'],
      this.log,
    );
    const p = this.proc;
    await waitFor(
      'sipprotd to start (log line "sipprotd started" and table inet sipprot)',
      30_000,
      async () => {
        if (p.done) throw new Error(`sipprotd exited: ${tail(this.log)}`);
        return (
          readFileSync(this.log, 'utf8').includes('sipprotd started') &&
          (await nftHas(this.env.ns, 'inet sipprot'))
        );
      },
    );
  }

  async stop(): Promise<void> {
    if (this.proc) await stop(this.proc, 'SIGTERM', 20_000);
    this.proc = null;
  }

  decisionAt(ip: string): number | null {
    for (const line of readSafe(this.log).split('\n')) {
      if (!line.includes(`"ip":"${ip}"`) || !line.includes('"action":"block"')) continue;
      return (JSON.parse(line) as { time: number }).time / 1000;
    }
    return null;
  }
}

export class Fail2banGuard implements Guard {
  readonly name = 'fail2ban';
  readonly description: string;
  private proc: Started | null = null;
  private readonly f2bLog: string;

  constructor(
    private readonly env: GuardEnv,
    registrarLog: string,
  ) {
    const d = env.dir;
    mkdirSync(join(d, 'action.d'), { recursive: true });
    mkdirSync(join(d, 'filter.d'), { recursive: true });
    for (const f of ['nftables.conf', 'nftables-allports.conf'])
      copyFileSync(join('/etc/fail2ban/action.d', f), join(d, 'action.d', f));
    this.f2bLog = join(d, 'fail2ban.log');
    writeFileSync(
      join(d, 'fail2ban.conf'),
      [
        '[Definition]',
        'loglevel = INFO',
        `logtarget = ${this.f2bLog}`,
        'syslogsocket = auto',
        `socket = ${join(d, 'fail2ban.sock')}`,
        `pidfile = ${join(d, 'fail2ban.pid')}`,
        'dbfile = :memory:',
        'dbpurgeage = 1d',
        'allowipv6 = auto',
        '',
      ].join('\n'),
    );
    // The lab's registrar logs each failed authentication with the source address
    // (scripts/lab/README.md): one line per wrong password.
    writeFileSync(
      join(d, 'filter.d', 'sipprot-lab.conf'),
      '[Definition]\nfailregex = sipprot-lab: auth-failed .* src=<HOST> \n',
    );
    // icmp is banned too, so the benchmark's probes see the ban (it changes nothing else).
    const jail = [
      '[sipprot-lab]',
      'enabled = true',
      'filter = sipprot-lab',
      `logpath = ${registrarLog}`,
      'backend = auto',
      `maxretry = ${env.hitCount}`,
      'findtime = 60',
      'bantime = 600',
      'action = nftables-allports[name=sipprot-lab, protocol="udp,tcp,icmp"]',
      '',
    ];
    writeFileSync(join(d, 'jail.conf'), jail.join('\n'));
    this.description = `fail2ban-server -f (apt), jail: ${jail
      .slice(1, -1)
      .filter((l) => !l.startsWith('logpath'))
      .join('; ')}`;
  }

  async start(): Promise<void> {
    const d = this.env.dir;
    this.proc = startIn(
      this.env.ns,
      'fail2ban',
      'fail2ban-server',
      ['-f', '-x', '-c', d, '-s', join(d, 'fail2ban.sock'), '-p', join(d, 'fail2ban.pid')],
      join(d, 'server.out'),
    );
    const p = this.proc;
    await waitFor("fail2ban jail 'sipprot-lab' to start", 30_000, async () => {
      if (p.done) throw new Error(`fail2ban-server exited: ${tail(join(d, 'server.out'))}`);
      return readSafe(this.f2bLog).includes("Jail 'sipprot-lab' started");
    });
  }

  decisionAt(ip: string): number | null {
    // 2026-11-24 22:03:17,737 fail2ban.actions [pid]: NOTICE  [sipprot-lab] Ban 10.77.1.100 (local time)
    const re = new RegExp(
      `^(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d),(\\d{3}) .*\\] Ban ${ip.replace(/\./g, '\\.')}$`,
      'm',
    );
    const m = re.exec(readSafe(this.f2bLog));
    return m ? new Date(`${m[1]}T${m[2]}.${m[3]}`).getTime() / 1000 : null;
  }

  /** The backend fail2ban chose (pyinotify, polling, ...), from its log. */
  backend(): string {
    return /Jail 'sipprot-lab' uses (\w+)/.exec(readSafe(this.f2bLog))?.[1] ?? 'unknown';
  }

  async stop(): Promise<void> {
    if (this.proc) await stop(this.proc, 'SIGTERM', 20_000);
    this.proc = null;
  }
}

function readSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function tail(path: string): string {
  return readSafe(path).split('\n').slice(-8).join('\n');
}
