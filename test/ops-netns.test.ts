/**
 * Issue 15 items 2, 3, 4, 7 end to end (root): the real daemon, started with `sipprotd start`
 * in a namespace this test creates, with real traffic from a second namespace (libpcap on
 * the veth, real nft) and a HEPv3 feed on loopback (a cracked password, as Kamailio's
 * siptrace would mirror it). Checked from inside the namespace:
 * - `sipprotd start` says where logs, the UI and the password are; the log is readable text;
 * - /metrics (METRICS_LISTEN with its token, and WEB_LISTEN with the token) moves after the
 *   traffic: packets captured, SIP messages by method and class, the block by reason, the
 *   active block, packets dropped by nft's dynamic set, capture and block latency;
 * - a webhook receiver on loopback gets the burst (JSON and Slack formats) and the breach
 *   alert at once;
 * - the blocklist export with EXPORT_TOKEN lists the blocked address.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hep3, sipRequest, sipResponse } from '../src/core/packet/sip-messages.testkit.js';
import { createPair, type Link, type Netns } from './netns.testkit.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/sipprotd.js');
const METRICS_TOKEN = 'metrics-token-0123456789';
const EXPORT_TOKEN = 'export-token-0123456789';

/** A webhook receiver inside the namespace: one JSON line per request on stdout. */
const SINK = `
const http = require('node:http');
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    process.stdout.write(JSON.stringify({ path: req.url, body }) + '\\n');
    res.end('ok');
  });
}).listen(9999, '127.0.0.1', () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(0), 180000);
`;

/** Sends base64 datagrams (argv[1], JSON) to host:port from inside the namespace. */
const SEND = `
const dgram = require('node:dgram');
const o = JSON.parse(process.argv[1]);
const s = dgram.createSocket(o.host.includes(':') ? 'udp6' : 'udp4');
s.bind(o.sport || 0, () => {
  let i = 0;
  const next = () => {
    if (i >= o.packets.length) return setTimeout(() => process.exit(0), 50);
    s.send(Buffer.from(o.packets[i++], 'base64'), o.port, o.host, () => setTimeout(next, o.gapMs));
  };
  next();
});
`;

/** GET from inside the namespace: prints {status, body}. */
const GET = `
const [url, auth] = [process.argv[1], process.argv[2]];
fetch(url, { headers: auth ? { authorization: 'Bearer ' + auth } : {} })
  .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))
  .catch((e) => { process.stdout.write(JSON.stringify({ status: 0, body: String(e) })); });
`;

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

/** The value of one series in an exposition text (0 when absent). */
function value(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

describe('logs, metrics, webhooks and the export of a real daemon (netns, root)', () => {
  let a: Netns;
  let b: Netns;
  let link: Link;
  let destroy: () => Promise<void>;
  let dir: string;
  let conf: string;
  let sink: ChildProcess;
  const hooks: Array<{ path: string; body: string }> = [];
  let started = '';

  const get = async (url: string, token?: string) => {
    const r = await a.exec([process.execPath, '-e', GET, url, token ?? '']);
    return JSON.parse(r.stdout) as { status: number; body: string };
  };
  const scrape = async () => {
    const r = await get('http://127.0.0.1:9560/metrics', METRICS_TOKEN);
    assert.equal(r.status, 200, r.body);
    return r.body;
  };
  const until = async <T>(what: string, fn: () => Promise<T | null | false>, ms = 15_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  before(async () => {
    ({ a, b, link, destroy } = await createPair('ops'));
    dir = mkdtempSync(join(tmpdir(), 'sipprot-ops-'));
    conf = join(dir, 'sipprot.conf');
    writeFileSync(
      conf,
      [
        `STATE_DIR=${dir}/state`,
        `INTERFACES=${link.dev}`,
        'PROTOCOLS=udp',
        'SIP_PORTS=5060',
        'HIT_COUNT=10',
        'WEB_LISTEN=127.0.0.1:8040',
        'HEP_LISTEN=127.0.0.1:9060',
        'METRICS_LISTEN=127.0.0.1:9560',
        `METRICS_TOKEN=${METRICS_TOKEN}`,
        `EXPORT_TOKEN=${EXPORT_TOKEN}`,
        'WEBHOOK_URLS="json:http://127.0.0.1:9999/json slack:http://127.0.0.1:9999/slack"',
        'WEBHOOK_GROUP_SECONDS=1',
        'NOTIFY_DAILY=no',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    sink = a.spawnNode(SINK);
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      sink.stdout!.setEncoding('utf8');
      sink.stdout!.on('data', (c: string) => {
        buf += c;
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          if (l === 'ready') resolve();
          else if (l) hooks.push(JSON.parse(l));
        }
      });
      sink.once('exit', () => reject(new Error('the webhook sink exited')));
    });
    const r = await a.exec([process.execPath, BIN, '--config', conf, 'start'], {
      timeoutMs: 60_000,
      allowFail: true,
    });
    started = r.stdout;
    assert.equal(r.code, 0, `sipprotd start failed: ${r.stderr}\n${readLog()}`);
  });

  const readLog = () => {
    try {
      return readFileSync(join(dir, 'state', 'sipprotd.log'), 'utf8');
    } catch {
      return '';
    }
  };

  after(async () => {
    if (a)
      await a.exec([process.execPath, BIN, '--config', conf, 'stop'], { allowFail: true, timeoutMs: 30_000 });
    await destroy?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sipprotd start says where the log, the UI and the password are', () => {
    assert.match(started, /^sipprotd started \(pid \d+\)$/m);
    assert.match(started, new RegExp(`logs: {5}${dir}/state/sipprotd\\.log \\(readable lines`));
    assert.match(
      started,
      /web UI: {3}http:\/\/127\.0\.0\.1:8040\/ \(this host only: from your desk, ssh -L 8040:127\.0\.0\.1:8040/,
    );
    assert.match(
      started,
      new RegExp(`password: the one-time password is in ${dir}/state/initial-admin-password`),
    );
    assert.match(started, /metrics: {2}http:\/\/127\.0\.0\.1:9560\/metrics \(bearer METRICS_TOKEN\)/);
  });

  it('a scanner from the other namespace: metrics move, nft drops, webhooks hear it, the export lists it', async () => {
    const before = await scrape();
    const attacker = link.b4;
    const options = sipRequest({ method: 'OPTIONS', userAgent: 'friendly-scanner', callId: 'scan-1' });
    const send = (n: number) =>
      b.exec([
        process.execPath,
        '-e',
        SEND,
        JSON.stringify({
          host: link.a4,
          port: 5060,
          sport: 5099,
          gapMs: 20,
          packets: Array(n).fill(b64(options)),
        }),
      ]);
    await send(1);
    const blocked = await until('the block in /metrics', async () => {
      const m = await scrape();
      return value(m, 'sipprot_decisions_total{action="block",reason="scanner"}') === 1 && m;
    });
    assert.equal(value(blocked, 'sipprot_blocks_active{set="dynamic",origin="local"}'), 1);
    assert.ok(
      value(blocked, 'sipprot_sip_messages_total{kind="request",method="OPTIONS",class=""}') >=
        value(before, 'sipprot_sip_messages_total{kind="request",method="OPTIONS",class=""}') + 1,
    );
    assert.ok(
      value(blocked, 'sipprot_capture_packets_total') > value(before, 'sipprot_capture_packets_total'),
    );
    assert.ok(value(blocked, 'sipprot_capture_latency_seconds_count') >= 1);
    assert.ok(value(blocked, 'sipprot_verdicts_total{rule="scanner"}') >= 1);
    const blockLatency = await until('the block latency', async () => {
      const m = await scrape();
      return value(m, 'sipprot_block_latency_seconds_count') >= 1 && m;
    });
    assert.ok(value(blockLatency, 'sipprot_block_latency_seconds_sum') < 5);

    // The blocked scanner keeps sending: nft's dynamic set drops it, the counter says so.
    await send(5);
    const dropped = await until('the drops', async () => {
      const m = await scrape();
      return value(m, 'sipprot_dropped_packets_total{set="dynamic"}') >= 5 && m;
    });
    assert.ok(value(dropped, 'sipprot_dropped_bytes_total{set="dynamic"}') > 5 * 300);
    assert.ok(
      value(dropped, 'sipprot_detection_events_total{kind="blocked-packet"}') >= 1,
      'capture still sees them',
    );

    // The webhook burst (WEBHOOK_GROUP_SECONDS=1), in both formats.
    const json = await until('the JSON webhook', async () => hooks.find((h) => h.path === '/json') ?? null);
    const doc = JSON.parse(json.body);
    assert.equal(doc.schema, 'sipprot.webhook/v1');
    assert.equal(doc.kind, 'decisions');
    assert.equal(doc.decisions[0].ip, attacker);
    assert.equal(doc.decisions[0].reason, 'scanner');
    const slack = await until(
      'the Slack webhook',
      async () => hooks.find((h) => h.path === '/slack') ?? null,
    );
    assert.match(
      JSON.parse(slack.body).text,
      new RegExp(`blocked ${attacker.replace(/\./g, '\\.')} scanner`),
    );
    assert.equal(value(await scrape(), 'sipprot_webhook_deliveries_total{result="sent"}'), 2);

    // The export on WEB_LISTEN with EXPORT_TOKEN.
    const exp = await get('http://127.0.0.1:8040/api/blocks/export', EXPORT_TOKEN);
    assert.equal(exp.status, 200, exp.body);
    assert.ok(exp.body.split('\n').includes(attacker));
    assert.equal((await get('http://127.0.0.1:8040/api/blocks/export')).status, 401);
    // The CLI asks the running daemon over its socket.
    const cli = await a.exec([
      process.execPath,
      join(ROOT, 'bin/sipprot.js'),
      '--config',
      conf,
      'export-blocks',
      '--format',
      'json',
    ]);
    const blocks = (JSON.parse(cli.stdout) as { blocks: Array<{ network: string; origins: string[] }> })
      .blocks;
    assert.deepEqual(blocks.find((x) => x.network === attacker)?.origins, ['dynamic']);

    // The log: one readable line for the block.
    assert.match(
      readLog(),
      new RegExp(
        `INFO {2}blocked ${attacker.replace(/\./g, '\\.')} scanner \\(users 100; UA "friendly-scanner"\\)`,
      ),
    );
  });

  it('a cracked password over HEP: the breach alert reaches the webhooks at once and the log as a warning', async () => {
    const guesser = '198.51.100.66';
    const packets: string[] = [];
    const at = Date.now() / 1000;
    for (let i = 1; i <= 8; i++) {
      const callId = `crack-${i}`;
      const branch = `z9hG4bK-crack-${i}`;
      const common = {
        user: '1099',
        authUser: '1099',
        callId,
        branch,
        cseq: 1,
        userAgent: 'Yealink SIP-T46S 66.86.0.15',
      };
      packets.push(
        b64(
          hep3({
            src: guesser,
            sport: 5070,
            dst: '10.200.0.1',
            dport: 5060,
            at,
            payload: sipRequest(common),
          }),
        ),
        b64(
          hep3({
            src: '10.200.0.1',
            sport: 5060,
            dst: guesser,
            dport: 5070,
            at,
            payload: sipResponse({ status: i < 8 ? 401 : 200, user: '1099', callId, branch, cseq: 1 }),
          }),
        ),
      );
    }
    const hooksBefore = hooks.length;
    await a.exec([
      process.execPath,
      '-e',
      SEND,
      JSON.stringify({ host: '127.0.0.1', port: 9060, gapMs: 5, packets }),
    ]);
    const alert = await until(
      'the alert webhook',
      async () =>
        hooks.slice(hooksBefore).find((h) => h.path === '/json' && JSON.parse(h.body).kind === 'alert') ??
        null,
    );
    const doc = JSON.parse(alert.body);
    assert.equal(doc.alert.kind, 'breach');
    assert.equal(doc.alert.ip, guesser);
    assert.equal(doc.alert.user, '1099');
    assert.match(
      doc.alert.text,
      /possible cracked password: extension 1099, from 198\.51\.100\.66, after 7 failures/,
    );
    assert.match(readLog(), /WARN {2}ALERT possible cracked password: extension 1099, from 198\.51\.100\.66/);
    const m = await scrape();
    assert.equal(value(m, 'sipprot_alerts_total{kind="breach"}'), 1);
    assert.ok(value(m, 'sipprot_hep_packets_total') >= 16);
    assert.ok(value(m, 'sipprot_detection_events_total{kind="failed-attempt"}') >= 7);
    assert.ok(value(m, 'sipprot_sip_messages_total{kind="response",method="REGISTER",class="4xx"}') >= 7);
  });

  it('/metrics on WEB_LISTEN takes the bearer METRICS_TOKEN; METRICS_LISTEN refuses without it', async () => {
    const web = await get('http://127.0.0.1:8040/metrics', METRICS_TOKEN);
    assert.equal(web.status, 200);
    assert.match(web.body, /^# TYPE sipprot_decisions_total counter$/m);
    assert.match(web.body, /^sipprot_event_loop_lag_seconds\{stat="p99"\} /m);
    assert.equal((await get('http://127.0.0.1:8040/metrics')).status, 401);
    assert.equal((await get('http://127.0.0.1:9560/metrics')).status, 401);
    assert.equal((await get('http://127.0.0.1:9560/metrics', 'wrong-token-0123456789')).status, 401);
    assert.equal((await get('http://127.0.0.1:9560/other', METRICS_TOKEN)).status, 404);
    // Every metric the Grafana dashboard graphs is in the real daemon's scrape.
    const dash = readFileSync(join(ROOT, 'packaging/grafana-dashboard.json'), 'utf8');
    const names = new Set([...dash.matchAll(/([a-z_:][a-z0-9_:]*)\{instance/g)].map((m) => m[1]!));
    assert.ok(names.size >= 15);
    for (const n of names) {
      const family = n.replace(/_(bucket|sum|count)$/, '');
      assert.match(web.body, new RegExp(`^# TYPE ${family} `, 'm'), `${n} (dashboard) is not scraped`);
    }
  });
});
