/**
 * Builders of synthetic SipEvents for tests and benches: a request from a remote
 * address to the local server, and the server's answers to it. Pure, no I/O.
 */
import { DEFAULT_DETECTION } from '../config/keys-detect.js';
import type { Config, Decision, DetectionConfig, SipEvent, SipMessage, Transport } from '../types.js';

export const SERVER = '198.51.100.10';
export const SERVER_PORT = 5060;

/** The detection defaults with `over` applied (fresh arrays: configs are mutable). */
export function detection(over: Partial<DetectionConfig> = {}): DetectionConfig {
  return { ...DEFAULT_DETECTION, tollWatch: [], observe: [], ...over };
}

/** The manual's rules only: every rule of issue 12 switched off. */
export function manualOnly(over: Partial<DetectionConfig> = {}): DetectionConfig {
  return detection({
    slowHour: 0,
    slowDay: 0,
    distributedSources: 0,
    tollCount: 0,
    floodRate: 0,
    sweepTargets: 0,
    scannerTemplates: false,
    prefixBlock: 0,
    ...over,
  });
}

/** A complete Config with the product defaults, for tests; override what a case needs. */
export function testConfig(over: Partial<Config> = {}): Config {
  return {
    protocols: ['udp', 'tcp'],
    sipPorts: [{ from: 5060, to: 5060 }],
    interfaces: ['any'],
    hitCount: 10,
    monitPeriod: 60,
    blockTime: 600,
    blockThreshold: 5,
    scanners: [
      'friendly-scanner',
      'sipvicious',
      'sipcli',
      'sip-scan',
      'sundayddr',
      'iWar',
      'VaxSIPUserAgent',
    ],
    enumUsers: 20,
    enumChallenges: 30,
    blockedCountries: [],
    tftp: { enabled: true, rate: { count: 10, per: 'minute' }, burst: 100 },
    dnsProtection: true,
    notify: { daily: true, dailyAt: '07:00', eachAttack: false, interval: 3600 },
    smtp: { host: null, port: 25, user: null, password: null, from: null, tls: 'none' },
    stateDir: '/var/lib/sipprot',
    webListen: { host: '127.0.0.1', port: 8040 },
    web: { hostnames: [], tlsCert: null, tlsKey: null },
    protectedPeers: [],
    hepListen: null,
    clusterRedisUrl: null,
    clusterHostId: null,
    allowlistFile: '/etc/sipprot/sipprot.allowlist',
    denylistFile: '/etc/sipprot/sipprot.denylist',
    geoip: { updateUrl: null, updateInterval: 0, mmdb: null },
    feedsFile: '/etc/sipprot/sipprot.feeds',
    detection: detection(),
    historyDays: 365,
    ops: {
      log: { format: 'text', level: 'info' },
      metricsListen: null,
      metricsToken: null,
      exportToken: null,
      webhooks: { targets: [], events: ['block', 'permanent', 'alert'], groupSeconds: 30 },
    },
    source: null,
    ...over,
  };
}

let serial = 0;
/** A fresh token for Call-IDs and branches. */
export function uniq(prefix = 'x'): string {
  serial++;
  return prefix + serial.toString(36);
}

export interface RequestSpec {
  at: number;
  ip: string;
  method?: string;
  /** The account: To user for REGISTER, Request-URI user otherwise. */
  user?: string;
  /** Credentials: true = Authorization for `user`; a string = that username. */
  creds?: boolean | string;
  callId?: string;
  cseq?: number;
  branch?: string;
  ua?: string | null;
  sport?: number;
  dport?: number;
  /** The local address it is sent to (default SERVER). */
  dst?: string;
  transport?: Transport;
  /** Override the Request-URI user (INVITE to an outside number, for example). */
  uriUser?: string;
}

export function request(s: RequestSpec): SipEvent {
  const method = s.method ?? 'REGISTER';
  const user = s.user ?? '100';
  const uriUserPart = s.uriUser ?? (method === 'REGISTER' ? null : user);
  const authUser = s.creds === undefined || s.creds === false ? null : s.creds === true ? user : s.creds;
  const msg: SipMessage = {
    kind: 'request',
    method,
    uri: uriUserPart === null ? `sip:${SERVER}` : `sip:${uriUserPart}@${SERVER}`,
    status: null,
    callId: s.callId ?? uniq('cid-'),
    cseq: s.cseq ?? 1,
    branch: s.branch ?? uniq('z9hG4bK-'),
    fromUser: user,
    toUser: user,
    userAgent: s.ua === undefined ? 'Yealink SIP-T46S 66.86.0.15' : s.ua,
    hasCredentials: authUser !== null,
    authUser,
    stale: false,
    contact: `<sip:${user}@${s.ip}:${s.sport ?? 5060}>`,
  };
  return {
    at: s.at,
    src: s.ip,
    sport: s.sport ?? 5060,
    dst: s.dst ?? SERVER,
    dport: s.dport ?? SERVER_PORT,
    transport: s.transport ?? 'udp',
    msg,
  };
}

export const register = (s: RequestSpec): SipEvent => request({ ...s, method: 'REGISTER' });
export const invite = (s: RequestSpec): SipEvent => request({ ...s, method: 'INVITE' });
export const options = (s: RequestSpec): SipEvent => request({ ...s, method: 'OPTIONS' });

/** The local server's answer to `req`, `dt` seconds later (default 0.01). */
export function answer(req: SipEvent, status: number, dt = 0.01, extra: { stale?: boolean } = {}): SipEvent {
  const q = req.msg;
  const msg: SipMessage = {
    kind: 'response',
    method: q.method,
    uri: null,
    status,
    callId: q.callId,
    cseq: q.cseq,
    branch: q.branch,
    fromUser: q.fromUser,
    toUser: q.toUser,
    userAgent: 'Kamailio (5.6.3 (x86_64/linux))',
    hasCredentials: false,
    authUser: null,
    stale: extra.stale ?? false,
    contact: null,
  };
  return {
    at: req.at + dt,
    src: req.dst,
    sport: req.dport,
    dst: req.src,
    dport: req.sport,
    transport: req.transport,
    msg,
  };
}

export const challenge401 = (req: SipEvent, dt?: number): SipEvent => answer(req, 401, dt);
export const challenge407 = (req: SipEvent, dt?: number): SipEvent => answer(req, 407, dt);
export const stale401 = (req: SipEvent, dt?: number): SipEvent => answer(req, 401, dt, { stale: true });
export const forbidden403 = (req: SipEvent, dt?: number): SipEvent => answer(req, 403, dt);
export const notFound404 = (req: SipEvent, dt?: number): SipEvent => answer(req, 404, dt);
export const ok200 = (req: SipEvent, dt?: number): SipEvent => answer(req, 200, dt);
export const trying100 = (req: SipEvent, dt?: number): SipEvent => answer(req, 100, dt);

/**
 * A phone's normal registration: REGISTER → 401 → REGISTER with credentials (same
 * Call-ID, CSeq + 1) → 200. Four events starting at `at`.
 */
export function phoneRegistration(
  ip: string,
  user: string,
  at: number,
  o: { sport?: number; callId?: string; cseq?: number; ua?: string } = {},
): SipEvent[] {
  const callId = o.callId ?? uniq('reg-');
  const cseq = o.cseq ?? 1;
  const r1 = register({ at, ip, user, callId, cseq, sport: o.sport, ua: o.ua });
  const c1 = challenge401(r1);
  const r2 = register({
    at: at + 0.02,
    ip,
    user,
    callId,
    cseq: cseq + 1,
    creds: true,
    sport: o.sport,
    ua: o.ua,
  });
  return [r1, c1, r2, ok200(r2)];
}

/**
 * One password guess the way svcrack makes it: REGISTER (new Call-ID) → 401 → REGISTER
 * with credentials → `status` (401 or 403: wrong password).
 */
export function crackAttempt(
  ip: string,
  user: string,
  at: number,
  o: { status?: number; ua?: string | null; transport?: Transport } = {},
): SipEvent[] {
  const callId = uniq('crk-');
  const r1 = register({ at, ip, user, callId, cseq: 1, ua: o.ua, transport: o.transport });
  const r2 = register({
    at: at + 0.02,
    ip,
    user,
    callId,
    cseq: 2,
    creds: true,
    ua: o.ua,
    transport: o.transport,
  });
  return [r1, challenge401(r1), r2, answer(r2, o.status ?? 401)];
}

export const subscribe = (s: RequestSpec): SipEvent => request({ ...s, method: 'SUBSCRIBE' });
export const publish = (s: RequestSpec): SipEvent => request({ ...s, method: 'PUBLISH' });

/**
 * A request the server challenges and the phone follows up with credentials, then the
 * server's final answer: `method` → `challenge` (401/407) → `method` with credentials
 * (same Call-ID, CSeq + 1) → `status`. Four events starting at `at`.
 */
export function authedExchange(
  ip: string,
  method: string,
  user: string,
  at: number,
  status: number,
  o: { challenge?: number; sport?: number; authUser?: string; uriUser?: string; ua?: string | null } = {},
): SipEvent[] {
  const callId = uniq('ax-');
  const base = { ip, method, user, callId, sport: o.sport, uriUser: o.uriUser, ua: o.ua };
  const r1 = request({ ...base, at, cseq: 1 });
  const r2 = request({ ...base, at: at + 0.02, cseq: 2, creds: o.authUser ?? true });
  return [r1, answer(r1, o.challenge ?? 407), r2, answer(r2, status)];
}

/** Feeds events to an Engine in time order (stable) and returns every decision. */
export function feedEngine(
  e: { onEvent(ev: SipEvent): Decision[]; tick(now: number): Decision[] },
  events: SipEvent[],
  until?: number,
): Decision[] {
  const sorted = events.map((ev, i) => [ev, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]);
  const out: Decision[] = [];
  for (const [ev] of sorted) out.push(...e.onEvent(ev));
  if (until !== undefined) out.push(...e.tick(until));
  return out;
}
