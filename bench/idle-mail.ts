/**
 * What an idle daemon with SMTP configured does for its mail (issue 13, idle: the mail
 * ticked every 5 s while SMTP was configured, whatever was due). A daemon started in this
 * process (ROOT's src through tsx: the fake firewall, no capture, no web listener,
 * SMTP_HOST set to a port nothing listens on, default NOTIFY_* settings, no recipients)
 * is left idle; over `--seconds` after `--settle` it reports the mail timer's runs and the
 * main thread's wake-ups (voluntary context switches, /proc: the loop-lag sampler's ten a
 * second are most of them) a second. `--smtp off` leaves SMTP unset (the floor).
 *
 *   node --import tsx bench/idle-mail.ts [--root DIR] [--seconds 60] [--settle 10] [--smtp on|off]
 *
 * --root: a checkout (A/B: run once per root, alternating, fresh processes).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: process.cwd() },
    seconds: { type: 'string', default: '60' },
    settle: { type: 'string', default: '10' },
    smtp: { type: 'string', default: 'on' },
  },
});
const src = (p: string) => import(pathToFileURL(join(values.root, 'src', p)).href);
const { Daemon } = await src('daemon/daemon.ts');
const { FakeFirewall } = await src('firewall/firewall.fake.ts');
const { parseConfig } = await src('core/config/parse.ts');
const { pino } = await import('pino');

const dir = mkdtempSync(join(tmpdir(), 'sipprot-reqtable-idle-'));
const conf = join(dir, 'sipprot.conf');
const smtp = values.smtp === 'on' ? 'SMTP_HOST=127.0.0.1\nSMTP_PORT=9\n' : '';
writeFileSync(conf, `STATE_DIR=${dir}/state\nWEB_LISTEN=off\nSIP_PORTS=5060\n${smtp}`);
const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
const daemon = await Daemon.start(config, {
  firewall: new FakeFirewall(),
  capture: false,
  logger: pino({ level: 'silent' }),
  configPath: conf,
  hostFacts: () => ({ own: [{ ip: '192.0.2.1', iface: 'eth0' }], resolvers: [], gateways: [], sshPeers: [] }),
});

const sleeps = () =>
  Number(
    /^voluntary_ctxt_switches:\s+(\d+)/m.exec(
      readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8'),
    )?.[1],
  );
// The mail's timer: the second of the periodic work's due timers (policy, mail) in both roots.
const mailRuns = () => (daemon as unknown as { periodic: { due: { runs: number }[] } }).periodic.due[1]!.runs;

await sleep(Number(values.settle) * 1000);
const s0 = sleeps();
const r0 = mailRuns();
const t0 = performance.now();
await sleep(Number(values.seconds) * 1000);
const s = (performance.now() - t0) / 1000;
const runs = mailRuns() - r0;
console.log(
  `root ${values.root} smtp ${values.smtp}: over ${s.toFixed(0)} s idle, the mail timer ran ${runs} times ` +
    `(${((runs / s) * 60).toFixed(1)} a minute); main-thread wake-ups ${((sleeps() - s0) / s).toFixed(2)} a second`,
);
await daemon.stop();
rmSync(dir, { recursive: true, force: true });
