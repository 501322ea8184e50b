import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipprotError } from '../errors.js';
import type { Config } from '../types.js';
import { CONFIG_KEYS, DEFAULT_SCANNERS } from './keys.js';
import {
  type ConfigProblem,
  defaultConfig,
  parseConfig,
  parseConfigDetailed,
  renderConfig,
  withChanges,
} from './parse.js';

const SRC = '/etc/sipprot/sipprot.conf';
const parse = (text: string, source: string | null = SRC) => parseConfig(text, { source });

function problemsOf(text: string): ConfigProblem[] {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof SipprotError, String(e));
    assert.equal(e.code, 'SP_ERR_CONFIG_INVALID');
    return e.details as ConfigProblem[];
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('defaults', () => {
  it('match PRODUCT.md and the extra keys', () => {
    const c = defaultConfig(null);
    assert.deepEqual(c.protocols, ['udp', 'tcp']);
    assert.deepEqual(c.sipPorts, [{ from: 5060, to: 5060 }]);
    assert.deepEqual(c.interfaces, ['any']);
    assert.equal(c.hitCount, 10);
    assert.equal(c.monitPeriod, 60);
    assert.equal(c.blockTime, 600);
    assert.equal(c.blockThreshold, 5);
    assert.deepEqual(c.scanners, [...DEFAULT_SCANNERS]);
    assert.ok(c.scanners.includes('friendly-scanner') && !c.scanners.includes('sipsak'));
    assert.equal(c.enumUsers, 10);
    assert.equal(c.enumChallenges, 30);
    assert.deepEqual(c.blockedCountries, []);
    assert.deepEqual(c.tftp, { enabled: true, rate: { count: 10, per: 'minute' }, burst: 100 });
    assert.equal(c.dnsProtection, true);
    assert.deepEqual(c.notify, { daily: true, dailyAt: '00:05', eachAttack: false, interval: 3600 });
    assert.deepEqual(c.smtp, {
      host: null,
      port: 587,
      user: null,
      password: null,
      from: null,
      tls: 'starttls',
    });
    assert.equal(c.stateDir, '/var/lib/sipprot');
    assert.deepEqual(c.webListen, { host: '127.0.0.1', port: 8040 });
    assert.equal(c.clusterRedisUrl, null);
    assert.equal(c.allowlistFile, '/etc/sipprot/sipprot.allowlist');
    assert.equal(c.denylistFile, '/etc/sipprot/sipprot.denylist');
    assert.deepEqual(c.geoip, { updateUrl: null, updateInterval: 604800, mmdb: null });
    assert.equal(c.feedsFile, '/etc/sipprot/sipprot.feeds');
    assert.equal(c.source, null);
  });

  it('put the lists beside the config file', () => {
    const c = parse('', '/home/sipprot.conf');
    assert.equal(c.allowlistFile, '/home/sipprot.allowlist');
    assert.equal(c.denylistFile, '/home/sipprot.denylist');
    assert.equal(c.source, '/home/sipprot.conf');
  });

  it('an empty file, comments and blank lines give the defaults', () => {
    assert.deepEqual(parse('\n# comment\n   \n\t# indented\n'), defaultConfig(SRC));
  });
});

// [line, check on the parsed config]
const VALID: Array<[string, (c: Config) => unknown, unknown]> = [
  ['PROTOCOLS=udp', (c) => c.protocols, ['udp']],
  ['PROTOCOLS=TCP', (c) => c.protocols, ['tcp']],
  ['PROTOCOLS=tcp, udp', (c) => c.protocols, ['udp', 'tcp']],
  ['PROTOCOLS=both', (c) => c.protocols, ['udp', 'tcp']],
  [
    'SIP_PORTS=5060,5080:5082',
    (c) => c.sipPorts,
    [
      { from: 5060, to: 5060 },
      { from: 5080, to: 5082 },
    ],
  ],
  ['SIP_PORTS=1:65535', (c) => c.sipPorts, [{ from: 1, to: 65535 }]],
  ['SIP_PORTS=5060-5062', (c) => c.sipPorts, [{ from: 5060, to: 5062 }]],
  ['INTERFACES=eth0,veth-pbx.1', (c) => c.interfaces, ['eth0', 'veth-pbx.1']],
  ['HIT_COUNT=1', (c) => c.hitCount, 1],
  ['hit_count=25', (c) => c.hitCount, 25],
  ['MONIT_PERIOD=120', (c) => c.monitPeriod, 120],
  ['monit_period=30', (c) => c.monitPeriod, 30],
  ['BLOCKTIME=3600', (c) => c.blockTime, 3600],
  ['block_time=900', (c) => c.blockTime, 900],
  ['Block_Time=901', (c) => c.blockTime, 901],
  ['BLOCK_THRESHOLD=0', (c) => c.blockThreshold, 0],
  ['block_threshold=20', (c) => c.blockThreshold, 20],
  ['SCANNERS=Friendly-Scanner, sipcli,,SIPCLI', (c) => c.scanners, ['friendly-scanner', 'sipcli']],
  ['SCANNERS=', (c) => c.scanners, []],
  ['ENUM_USERS=5', (c) => c.enumUsers, 5],
  ['ENUM_CHALLENGES=100', (c) => c.enumChallenges, 100],
  ['BLOCKED_COUNTRIES=ru, cn de', (c) => c.blockedCountries, ['CN', 'DE', 'RU']],
  ['BLOCKED_COUNTRIES=', (c) => c.blockedCountries, []],
  ['TFTP_PROTECTION=no', (c) => c.tftp.enabled, false],
  ['TFTP_RATE=5/second', (c) => c.tftp.rate, { count: 5, per: 'second' }],
  ['TFTP_RATE=100 / Hour', (c) => c.tftp.rate, { count: 100, per: 'hour' }],
  ['TFTP_RATE=1/day', (c) => c.tftp.rate, { count: 1, per: 'day' }],
  ['TFTP_BURST=5', (c) => c.tftp.burst, 5],
  ['DNS_PROTECTION=off', (c) => c.dnsProtection, false],
  ['DNS_PROTECTION=TRUE', (c) => c.dnsProtection, true],
  ['NOTIFY_DAILY=0', (c) => c.notify.daily, false],
  ['NOTIFY_DAILY_AT=7:30', (c) => c.notify.dailyAt, '07:30'],
  ['NOTIFY_DAILY_AT=23:59', (c) => c.notify.dailyAt, '23:59'],
  ['NOTIFY_EACH_ATTACK=on', (c) => c.notify.eachAttack, true],
  ['NOTIFY_INTERVAL=60', (c) => c.notify.interval, 60],
  ['SMTP_HOST=Mail.Example.com', (c) => c.smtp.host, 'mail.example.com'],
  ['SMTP_HOST=2001:DB8::25', (c) => c.smtp.host, '2001:db8::25'],
  ['SMTP_HOST=', (c) => c.smtp.host, null],
  ['SMTP_PORT=2525', (c) => [c.smtp.port, c.smtp.tls], [2525, 'starttls']],
  ['SMTP_PORT=465', (c) => [c.smtp.port, c.smtp.tls], [465, 'tls']],
  ['SMTP_TLS=tls', (c) => [c.smtp.port, c.smtp.tls], [465, 'tls']],
  ['SMTP_TLS=none', (c) => [c.smtp.port, c.smtp.tls], [25, 'none']],
  ['SMTP_TLS=STARTTLS', (c) => [c.smtp.port, c.smtp.tls], [587, 'starttls']],
  ['SMTP_USER=alerts@example.com\nSMTP_PASSWORD=x', (c) => c.smtp.user, 'alerts@example.com'],
  ['SMTP_PASSWORD="p#ss word \\" \\\\ x"', (c) => c.smtp.password, 'p#ss word " \\ x'],
  ["SMTP_PASSWORD='lit\\eral #1'", (c) => c.smtp.password, 'lit\\eral #1'],
  ['SMTP_PASSWORD=a#b # trailing comment', (c) => c.smtp.password, 'a#b'],
  ['SMTP_FROM=sipprot@example.com', (c) => c.smtp.from, 'sipprot@example.com'],
  ['SMTP_FROM=SIP Guard <sipprot@example.com>', (c) => c.smtp.from, 'SIP Guard <sipprot@example.com>'],
  ['STATE_DIR=/srv/sipprot/', (c) => c.stateDir, '/srv/sipprot'],
  ['WEB_LISTEN=0.0.0.0:443', (c) => c.webListen, { host: '0.0.0.0', port: 443 }],
  ['WEB_LISTEN=[::1]:8040', (c) => c.webListen, { host: '::1', port: 8040 }],
  ['WEB_LISTEN=localhost:9000', (c) => c.webListen, { host: 'localhost', port: 9000 }],
  ['WEB_LISTEN=off', (c) => c.webListen, { host: '', port: 0 }],
  ['HEP_LISTEN=127.0.0.1:9060', (c) => c.hepListen, { host: '127.0.0.1', port: 9060 }],
  ['HEP_LISTEN=off', (c) => c.hepListen, null],
  ['CLUSTER_REDIS_URL=redis://10.0.0.5:6379/0', (c) => c.clusterRedisUrl, 'redis://10.0.0.5:6379/0'],
  [
    'CLUSTER_REDIS_URL=rediss://:pw@redis.example.com',
    (c) => c.clusterRedisUrl,
    'rediss://:pw@redis.example.com',
  ],
  ['CLUSTER_HOST_ID=pbx-7.example.net', (c) => c.clusterHostId, 'pbx-7.example.net'],
  ['CLUSTER_HOST_ID=', (c) => c.clusterHostId, null],
  ['ALLOWLIST_FILE=lists/allow.txt', (c) => c.allowlistFile, '/etc/sipprot/lists/allow.txt'],
  ['DENYLIST_FILE=/home/sipprot.denylist', (c) => c.denylistFile, '/home/sipprot.denylist'],
  ['GEOIP_UPDATE_URL=https://example.com/geo.csv', (c) => c.geoip.updateUrl, 'https://example.com/geo.csv'],
  ['GEOIP_MMDB=GeoLite2-Country.mmdb', (c) => c.geoip.mmdb, '/etc/sipprot/GeoLite2-Country.mmdb'],
  ['GEOIP_MMDB=/etc/sipprot/geo/dbip.mmdb', (c) => c.geoip.mmdb, '/etc/sipprot/geo/dbip.mmdb'],
  ['GEOIP_MMDB=', (c) => c.geoip.mmdb, null],
  ['FEEDS_FILE=feeds.conf', (c) => c.feedsFile, '/etc/sipprot/feeds.conf'],
  ['FEEDS_FILE=/srv/pbx/sipprot.feeds', (c) => c.feedsFile, '/srv/pbx/sipprot.feeds'],
  ['GEOIP_UPDATE_URL=/etc/sipprot/geo.csv', (c) => c.geoip.updateUrl, '/etc/sipprot/geo.csv'],
  [
    'GEOIP_UPDATE_URL=file:///etc/sipprot/g/geo.csv',
    (c) => c.geoip.updateUrl,
    'file:///etc/sipprot/g/geo.csv',
  ],
  ['GEOIP_UPDATE_INTERVAL=0', (c) => c.geoip.updateInterval, 0],
  ['GEOIP_UPDATE_INTERVAL=86400', (c) => c.geoip.updateInterval, 86400],
  ['HISTORY_DAYS=30', (c) => c.historyDays, 30],
  ['SLOW_HOUR_COUNT=0', (c) => c.detection.slowHour, 0],
  ['SLOW_DAY_COUNT=500', (c) => c.detection.slowDay, 500],
  ['DISTRIBUTED_SOURCES=20', (c) => c.detection.distributedSources, 20],
  ['DISTRIBUTED_BLOCK=no', (c) => c.detection.distributedBlock, false],
  ['TOLL_COUNT=5', (c) => c.detection.tollCount, 5],
  ['TOLL_MIN_DIGITS=10', (c) => c.detection.tollMinDigits, 10],
  ['TOLL_WATCH=+881, 882,+53,881', (c) => c.detection.tollWatch, ['881', '882', '53']],
  ['TOLL_WATCH=', (c) => c.detection.tollWatch, []],
  ['FLOOD_RATE=2000', (c) => c.detection.floodRate, 2000],
  ['SWEEP_TARGETS=0', (c) => c.detection.sweepTargets, 0],
  ['SCANNER_TEMPLATES=off', (c) => c.detection.scannerTemplates, false],
  ['PREFIX_V4=24', (c) => c.detection.prefixV4, 24],
  ['PREFIX_V6=56', (c) => c.detection.prefixV6, 56],
  ['PREFIX_BLOCK=0', (c) => c.detection.prefixBlock, 0],
  ['OBSERVE=all', (c) => c.detection.observe, ['all']],
  ['OBSERVE=Flood, toll-fraud,flood', (c) => c.detection.observe, ['toll-fraud', 'flood']],
  ['OBSERVE=slow-attack,all', (c) => c.detection.observe, ['all']],
  [
    'WEB_HOSTNAMES=PBX.example.com, [2001:db8::5],pbx.example.com',
    (c) => c.web.hostnames,
    ['pbx.example.com', '2001:db8::5'],
  ],
  [
    'WEB_TLS_CERT=cert.pem\nWEB_TLS_KEY=/etc/ssl/k.pem',
    (c) => [c.web.tlsCert, c.web.tlsKey],
    ['/etc/sipprot/cert.pem', '/etc/ssl/k.pem'],
  ],
  ['WEB_TLS_KEY=k.pem\nWEB_TLS_CERT=c.pem', (c) => c.web.tlsKey, '/etc/sipprot/k.pem'],
  [
    'PROTECTED_PEERS=192.0.2.1, 2001:DB8::/32,198.51.100.0/24',
    (c) => c.protectedPeers,
    ['192.0.2.1', '2001:db8::/32', '198.51.100.0/24'],
  ],
  ['LOG_FORMAT=json', (c) => c.ops.log.format, 'json'],
  ['LOG_LEVEL=warn', (c) => c.ops.log.level, 'warn'],
  ['METRICS_LISTEN=127.0.0.1:9560', (c) => c.ops.metricsListen, { host: '127.0.0.1', port: 9560 }],
  ['METRICS_TOKEN=0123456789abcdef', (c) => c.ops.metricsToken, '0123456789abcdef'],
  ['EXPORT_TOKEN=', (c) => c.ops.exportToken, null],
  [
    'WEBHOOK_URLS=teams:https://example.webhook.office.com/x',
    (c) => c.ops.webhooks.targets,
    [{ format: 'teams', url: 'https://example.webhook.office.com/x' }],
  ],
  ['WEBHOOK_EVENTS=all', (c) => c.ops.webhooks.events, ['block', 'permanent', 'unblock', 'observe', 'alert']],
  ['WEBHOOK_GROUP_SECONDS=120', (c) => c.ops.webhooks.groupSeconds, 120],
  ['export BLOCKTIME=60', (c) => c.blockTime, 60],
  ['  BLOCKTIME = "61"  # quoted', (c) => c.blockTime, 61],
  ['\ufeffBLOCKTIME=62\r', (c) => c.blockTime, 62],
];

describe('every key accepts its valid forms', () => {
  for (const [text, get, want] of VALID) {
    it(JSON.stringify(text), () => assert.deepEqual(get(parse(text)), want));
  }

  it('every key in CONFIG_KEYS is covered by a valid case', () => {
    for (const k of CONFIG_KEYS) {
      const names = [k.key, ...k.aliases].map((n) => n.toLowerCase());
      assert.ok(
        VALID.some(([t]) =>
          names.some((n) =>
            t
              .toLowerCase()
              .replace(/^\ufeff|^\s+|^export\s+/g, '')
              .startsWith(n),
          ),
        ),
        k.key,
      );
    }
  });
});

// [line, key as written, value as shown, message fragment]
const INVALID: Array<[string, string, string, RegExp]> = [
  ['PROTOCOLS=sctp', 'PROTOCOLS', 'sctp', /must be udp, tcp or udp,tcp \('sctp' is not one\)/],
  ['protocols=', 'protocols', '', /must be udp, tcp or udp,tcp/],
  ['SIP_PORTS=0', 'SIP_PORTS', '0', /0 is out of range/],
  ['SIP_PORTS=65536', 'SIP_PORTS', '65536', /65536 is out of range/],
  ['SIP_PORTS=5080:5060', 'SIP_PORTS', '5080:5060', /range 5080:5060 runs backwards/],
  ['SIP_PORTS=sip', 'SIP_PORTS', 'sip', /'sip' is not a port or range/],
  ['SIP_PORTS=', 'SIP_PORTS', '', /must be ports 1-65535/],
  ['INTERFACES=any,eth0', 'INTERFACES', 'any,eth0', /not both/],
  ['INTERFACES=eth0;rm -rf', 'INTERFACES', 'eth0;rm -rf', /is not an interface name/],
  ['INTERFACES=averyveryverylongname', 'INTERFACES', 'averyveryverylongname', /not an interface name/],
  ['HIT_COUNT=0', 'HIT_COUNT', '0', /must be an integer 1-10000/],
  ['hit_count=-3', 'hit_count', '-3', /must be an integer 1-10000/],
  ['HIT_COUNT=2.5', 'HIT_COUNT', '2.5', /integer/],
  ['HIT_COUNT=ten', 'HIT_COUNT', 'ten', /integer/],
  ['MONIT_PERIOD=0', 'MONIT_PERIOD', '0', /1-86400/],
  ['BLOCKTIME=', 'BLOCKTIME', '', /must be an integer 1-31536000/],
  ['BLOCK_THRESHOLD=25', 'BLOCK_THRESHOLD', '25', /^line 1: BLOCK_THRESHOLD=25: must be an integer 0-20$/],
  ['SCANNERS=friendly-scanner,ab', 'SCANNERS', 'friendly-scanner,ab', /'ab' would match ordinary phones/],
  ['ENUM_USERS=1', 'ENUM_USERS', '1', /2-10000/],
  ['ENUM_CHALLENGES=0', 'ENUM_CHALLENGES', '0', /1-100000/],
  ['BLOCKED_COUNTRIES=DE,XX', 'BLOCKED_COUNTRIES', 'DE,XX', /unknown: 'XX'\)/],
  [
    'BLOCKED_COUNTRIES=uk,ZZ',
    'BLOCKED_COUNTRIES',
    'uk,ZZ',
    /'UK', 'ZZ'; did you mean GB \(United Kingdom\) for UK/,
  ],
  ['BLOCKED_COUNTRIES=Germany', 'BLOCKED_COUNTRIES', 'Germany', /'GERMANY'/],
  ['TFTP_PROTECTION=maybe', 'TFTP_PROTECTION', 'maybe', /must be yes or no/],
  ['TFTP_RATE=10', 'TFTP_RATE', '10', /N\/second, N\/minute, N\/hour or N\/day/],
  ['TFTP_RATE=10/week', 'TFTP_RATE', '10/week', /N\/day/],
  ['TFTP_RATE=0/minute', 'TFTP_RATE', '0/minute', /N 1-1000000/],
  ['TFTP_BURST=0', 'TFTP_BURST', '0', /1-1000000/],
  ['SLOW_HOUR_COUNT=-1', 'SLOW_HOUR_COUNT', '-1', /an integer 0-100000 \(0 = off\)/],
  ['TOLL_MIN_DIGITS=3', 'TOLL_MIN_DIGITS', '3', /an integer 4-20$/],
  ['TOLL_WATCH=+44 20', 'TOLL_WATCH', '+44 20', /'\+44 20' is not one/],
  ['TOLL_WATCH=premium', 'TOLL_WATCH', 'premium', /destination prefixes of 1-15 digits/],
  ['PREFIX_V6=129', 'PREFIX_V6', '129', /16-128/],
  ['PREFIX_V4=4', 'PREFIX_V4', '4', /8-32/],
  ['DISTRIBUTED_BLOCK=sometimes', 'DISTRIBUTED_BLOCK', 'sometimes', /yes or no/],
  ['OBSERVE=scanners', 'OBSERVE', 'scanners', /'scanners' is not one/],
  ['DNS_PROTECTION=2', 'DNS_PROTECTION', '2', /yes or no/],
  ['NOTIFY_DAILY=', 'NOTIFY_DAILY', '', /yes or no/],
  ['NOTIFY_DAILY_AT=24:00', 'NOTIFY_DAILY_AT', '24:00', /HH:MM, 00:00-23:59/],
  ['NOTIFY_DAILY_AT=noon', 'NOTIFY_DAILY_AT', 'noon', /HH:MM/],
  ['NOTIFY_EACH_ATTACK=sometimes', 'NOTIFY_EACH_ATTACK', 'sometimes', /yes or no/],
  ['NOTIFY_INTERVAL=10', 'NOTIFY_INTERVAL', '10', /60-604800/],
  ['SMTP_HOST=mail server', 'SMTP_HOST', 'mail server', /host name or IP address/],
  ['SMTP_HOST=-bad-.example', 'SMTP_HOST', '-bad-.example', /host name/],
  ['SMTP_PORT=0', 'SMTP_PORT', '0', /port 1-65535/],
  ['SMTP_PORT=smtp', 'SMTP_PORT', 'smtp', /port 1-65535/],
  ['SMTP_FROM=not-an-address', 'SMTP_FROM', 'not-an-address', /e-mail address/],
  ['SMTP_TLS=ssl', 'SMTP_TLS', 'ssl', /must be none, starttls or tls/],
  ['STATE_DIR=var/lib/sipprot', 'STATE_DIR', 'var/lib/sipprot', /absolute/],
  ['WEB_LISTEN=8040', 'WEB_LISTEN', '8040', /HOST:PORT/],
  ['WEB_LISTEN=::1:8040', 'WEB_LISTEN', '::1:8040', /\[::1\]:8040/],
  ['WEB_LISTEN=[127.0.0.1]:8040', 'WEB_LISTEN', '[127.0.0.1]:8040', /HOST:PORT/],
  ['WEB_LISTEN=127.0.0.1:0', 'WEB_LISTEN', '127.0.0.1:0', /port 1-65535/],
  ['WEB_LISTEN=127.0.0.1:70000', 'WEB_LISTEN', '127.0.0.1:70000', /port 1-65535/],
  ['CLUSTER_REDIS_URL=http://redis', 'CLUSTER_REDIS_URL', 'http://redis', /redis:\/\/ or rediss:\/\//],
  ['CLUSTER_HOST_ID=pbx 7', 'CLUSTER_HOST_ID', 'pbx 7', /letters, digits/],
  ['CLUSTER_HOST_ID=-pbx', 'CLUSTER_HOST_ID', '-pbx', /starting with a letter or digit/],
  ['ALLOWLIST_FILE=', 'ALLOWLIST_FILE', '', /file path/],
  ['DENYLIST_FILE=sipprot.allowlist', 'DENYLIST_FILE', '/etc/sipprot/sipprot.allowlist', /different file/],
  [
    'GEOIP_UPDATE_URL=ftp://x/geo.csv',
    'GEOIP_UPDATE_URL',
    'ftp://x/geo.csv',
    /http:\/\/ or https:\/\/ URL, or a file path in the config directory/,
  ],
  [
    'GEOIP_UPDATE_URL=/etc/shadow',
    'GEOIP_UPDATE_URL',
    '/etc/shadow',
    /a file in the config directory \/etc\/sipprot/,
  ],
  [
    'GEOIP_UPDATE_URL=/etc/sipprot/../shadow',
    'GEOIP_UPDATE_URL',
    '/etc/sipprot/../shadow',
    /config directory/,
  ],
  ['GEOIP_UPDATE_INTERVAL=60', 'GEOIP_UPDATE_INTERVAL', '60', /0 \(never\) or an integer 3600-31536000/],
  [
    'GEOIP_MMDB=/usr/share/GeoIP/x.mmdb',
    'GEOIP_MMDB',
    '/usr/share/GeoIP/x.mmdb',
    /a file in the config directory/,
  ],
  ['GEOIP_MMDB=../../etc/shadow', 'GEOIP_MMDB', '../../etc/shadow', /a file in the config directory/],
  ['FEEDS_FILE=', 'FEEDS_FILE', '', /file path/],
  ['WEB_HOSTNAMES=pbx example', 'WEB_HOSTNAMES', 'pbx example', /host names or addresses/],
  ['WEB_TLS_CERT=c.pem', 'WEB_TLS_CERT', '/etc/sipprot/c.pem', /needs both WEB_TLS_CERT and WEB_TLS_KEY/],
  ['PROTECTED_PEERS=10.0.0.300', 'PROTECTED_PEERS', '10.0.0.300', /must be addresses or networks/],
  ['HISTORY_DAYS=0', 'HISTORY_DAYS', '0', /an integer 1-3650 \(days\)/],
  ['SMTP_PASSWORD="unterminated', 'SMTP_PASSWORD', '********', /quoted value is not closed/],
  ['BLOCKTIME="60" 70', 'BLOCKTIME', '"60" 70', /after the closing quote/],
  ["BLOCKTIME='60", 'BLOCKTIME', "'60", /not closed/],
  ['just some words', '', "'just some words'", /not a KEY=VALUE line/],
  ['=5', '', "'=5'", /not a KEY=VALUE line/],
];

describe('every error kind names the key, the value, what is allowed and the line', () => {
  for (const [text, key, value, fragment] of INVALID) {
    it(JSON.stringify(text), () => {
      const problems = problemsOf(text);
      assert.equal(problems.length, 1, JSON.stringify(problems));
      const p = problems[0]!;
      assert.equal(p.key, key);
      assert.equal(p.value, value);
      assert.equal(p.line, 1);
      assert.ok(p.allowed.length > 0);
      assert.match(p.message, fragment);
      if (key) assert.ok(p.message.startsWith(`line 1: ${key}=${value}: `), p.message);
    });
  }

  it('collects every problem into one error, one line each, and never half-applies', () => {
    const text = [
      '# sipprot',
      'BLOCK_THRESHOLD=25',
      'BLOCKTIME=1200',
      'PROTOCOLS=udp,sctp',
      'SIP_PORTS=5062:5060',
      'BLOCKED_COUNTRIES=XX',
    ].join('\n');
    let err: unknown;
    try {
      parse(text);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof SipprotError);
    assert.equal(err.code, 'SP_ERR_CONFIG_INVALID');
    const lines = err.message.split('\n');
    assert.match(lines[0]!, /^\/etc\/sipprot\/sipprot\.conf: 4 invalid settings/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.trim().split(':')[0]),
      ['line 2', 'line 4', 'line 5', 'line 6'],
    );
    assert.ok(lines[1]!.includes('BLOCK_THRESHOLD=25: must be an integer 0-20'));
    assert.deepEqual(
      (err.details as ConfigProblem[]).map((p) => [p.key, p.line]),
      [
        ['BLOCK_THRESHOLD', 2],
        ['PROTOCOLS', 4],
        ['SIP_PORTS', 5],
        ['BLOCKED_COUNTRIES', 6],
      ],
    );
  });
});

describe('warnings', () => {
  it('unknown keys are ignored with a warning and a suggestion', () => {
    const r = parseConfigDetailed('HITCOUNT=5\nFOO=bar\nBLOCKTIME=60', { source: SRC });
    assert.equal(r.config.hitCount, 10);
    assert.equal(r.config.blockTime, 60);
    assert.deepEqual(
      r.warnings.map((w) => [w.key, w.line]),
      [
        ['HITCOUNT', 1],
        ['FOO', 2],
      ],
    );
    assert.match(r.warnings[0]!.message, /unknown key, ignored; did you mean HIT_COUNT\?/);
    assert.doesNotMatch(r.warnings[1]!.message, /did you mean/);
  });

  it('a key set twice (also via its legacy spelling): the last wins, with a warning', () => {
    const r = parseConfigDetailed('BLOCKTIME=60\nblock_time=90', { source: SRC });
    assert.equal(r.config.blockTime, 90);
    assert.equal(r.warnings.length, 1);
    assert.match(
      r.warnings[0]!.message,
      /block_time \(line 2\) sets BLOCKTIME again: the value on line 1 is ignored/,
    );
  });

  it('SMTP_USER without a password is a warning', () => {
    const r = parseConfigDetailed('SMTP_USER=bob', { source: SRC });
    assert.match(r.warnings[0]!.message, /SMTP_PASSWORD is not/);
  });
});

describe('renderConfig', () => {
  it('round-trips the defaults and a config with every key changed', () => {
    const d = defaultConfig(SRC);
    assert.deepEqual(parse(renderConfig(d)), d);
    const text = [
      'PROTOCOLS=udp',
      'SIP_PORTS=5060,5080:5082',
      'INTERFACES=eth0,eth1',
      'HIT_COUNT=3',
      'MONIT_PERIOD=30',
      'BLOCKTIME=1200',
      'BLOCK_THRESHOLD=0',
      'SCANNERS=friendly-scanner,my scanner',
      'ENUM_USERS=4',
      'ENUM_CHALLENGES=9',
      'BLOCKED_COUNTRIES=CN,RU',
      'TFTP_PROTECTION=no',
      'TFTP_RATE=2/second',
      'TFTP_BURST=7',
      'DNS_PROTECTION=no',
      'NOTIFY_DAILY=no',
      'NOTIFY_DAILY_AT=06:15',
      'NOTIFY_EACH_ATTACK=yes',
      'NOTIFY_INTERVAL=600',
      'SMTP_HOST=smtp.example.com',
      'SMTP_PORT=2525',
      'SMTP_USER=alerts',
      `SMTP_PASSWORD='p"a#s s\\w'`,
      'SMTP_FROM=Guard <guard@example.com>',
      'SMTP_TLS=none',
      'STATE_DIR=/srv/state',
      'WEB_LISTEN=[::1]:9443',
      'CLUSTER_REDIS_URL=redis://127.0.0.1:6379',
      'ALLOWLIST_FILE=/srv/allow',
      'DENYLIST_FILE=deny.txt',
      'GEOIP_UPDATE_URL=file:///etc/sipprot/geo.csv',
      'GEOIP_UPDATE_INTERVAL=0',
    ].join('\n');
    const c = parse(text);
    assert.equal(c.smtp.password, 'p"a#s s\\w');
    const rendered = renderConfig(c);
    assert.deepEqual(parse(rendered), c);
    assert.ok(rendered.includes('SMTP_PASSWORD="p\\"a#s s\\\\w"'), rendered);
    assert.ok(rendered.includes('DENYLIST_FILE=/etc/sipprot/deny.txt'));
    assert.ok(!rendered.includes('# ALLOWLIST_FILE'));
  });

  it('keeps default list files commented so they follow the config file', () => {
    const text = renderConfig(defaultConfig(SRC));
    assert.ok(text.includes('\n# ALLOWLIST_FILE=/etc/sipprot/sipprot.allowlist\n'));
    const moved = parse(text, '/home/sipprot.conf');
    assert.equal(moved.allowlistFile, '/home/sipprot.allowlist');
  });
});

describe('CONFIG_KEYS', () => {
  it('has the PRODUCT.md keys and the legacy spellings', () => {
    const names = CONFIG_KEYS.map((k) => k.key);
    for (const k of [
      'PROTOCOLS',
      'SIP_PORTS',
      'INTERFACES',
      'HIT_COUNT',
      'MONIT_PERIOD',
      'BLOCKTIME',
      'BLOCK_THRESHOLD',
      'SCANNERS',
      'BLOCKED_COUNTRIES',
      'TFTP_PROTECTION',
      'TFTP_RATE',
      'TFTP_BURST',
      'DNS_PROTECTION',
      'NOTIFY_DAILY',
      'NOTIFY_EACH_ATTACK',
      'NOTIFY_INTERVAL',
      'SMTP_HOST',
      'SMTP_PORT',
      'SMTP_USER',
      'SMTP_PASSWORD',
      'SMTP_FROM',
      'SMTP_TLS',
      'STATE_DIR',
      'WEB_LISTEN',
      'CLUSTER_REDIS_URL',
    ]) {
      assert.ok(names.includes(k), k);
    }
    const aliases = CONFIG_KEYS.flatMap((k) => k.aliases);
    for (const a of ['block_time', 'block_threshold', 'monit_period', 'hit_count'])
      assert.ok(aliases.includes(a), a);
    for (const k of CONFIG_KEYS) assert.ok(k.description && k.allowed, k.key);
  });
});

describe('withChanges', () => {
  const base = parseConfig('HIT_COUNT=7\nSIP_PORTS=5060\n', { source: '/etc/sipprot/sipprot.conf' });

  it('applies changed keys and keeps the others', () => {
    const next = withChanges(base, {
      BLOCKTIME: '900',
      sip_ports: '5060,5080:5082',
      SCANNERS: 'evil scanner,foo',
    });
    assert.equal(next.blockTime, 900);
    assert.equal(next.hitCount, 7);
    assert.deepEqual(next.sipPorts, [
      { from: 5060, to: 5060 },
      { from: 5080, to: 5082 },
    ]);
    assert.deepEqual(next.scanners, ['evil scanner', 'foo']);
    assert.equal(next.source, '/etc/sipprot/sipprot.conf');
  });

  it('a bad value throws naming key, value and what is allowed; the input is untouched', () => {
    assert.throws(
      () => withChanges(base, { BLOCK_THRESHOLD: '25', HIT_COUNT: '3' }),
      (e: unknown) => {
        const err = e as SipprotError;
        assert.equal(err.code, 'SP_ERR_CONFIG_INVALID');
        assert.match(err.message, /BLOCK_THRESHOLD=25: must be an integer 0-20/);
        return true;
      },
    );
    assert.equal(base.hitCount, 7);
  });

  it('unknown keys are refused', () => {
    assert.throws(() => withChanges(base, { NOT_A_KEY: '1' }), /NOT_A_KEY: not a sipprot setting/);
  });
});
