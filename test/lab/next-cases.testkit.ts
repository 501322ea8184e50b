/**
 * The scenarios of the lab cases recorded by scripts/lab/record-next.sh (issue 12):
 * who attacks, what a correct engine decides about each address, and who must never be
 * blocked. next-expect.testkit.ts turns a scenario plus its capture into expect.json. The
 * traffic itself (which tools, which options) is in record-next.sh; the words of the
 * `notes` say what it is, for a reader of expect.json.
 *
 * Reasons and keys are the rules' own (src/core/types.ts RULES, README's key table);
 * `config` holds the product defaults unless a case says why not. Cases with
 * `dir: 'golden'` hold with today's rules and run in test/golden.test.ts; the others wait
 * in testdata/golden-next (STATUS.md says what today decides).
 */
import type { Exchange } from './exchanges.testkit.js';

export const PBX4 = '10.77.1.1';
export const PBX6 = 'fd77:1::1';
export const PBX = [PBX4, PBX6];
export const PHONE4 = '10.77.1.20';
export const PHONE6 = 'fd77:1::20';
export const ATK4 = '10.77.1.66';
/** The i-th extra attacker address, 10.77.1.(100+i). */
export const extra4 = (i: number) => `10.77.1.${100 + i}`;
/** The IPv6 attacker's own /64, where it rotates its source address. */
export const ROTATE6 = 'fd77:1:0:66::/64';

/** Product defaults (PRODUCT.md): what an admin who changed nothing runs. */
const DEFAULTS = {
  HIT_COUNT: 10,
  MONIT_PERIOD: 60,
  BLOCKTIME: 600,
  BLOCK_THRESHOLD: 5,
  SIP_PORTS: '5060',
  PROTOCOLS: 'udp,tcp',
};
/** testdata/golden's settings (HIT_COUNT 5, the goldens' scanner list). */
const GOLDEN = {
  ...DEFAULTS,
  HIT_COUNT: 5,
  SCANNERS: 'friendly-scanner,sipvicious,sipcli,sip-scan,sipsak,VaxSIPUserAgent,iWar,sundayddr',
};

export type Due =
  /** Blocked exactly at the n-th failed answer (auth-failures, as in testdata/golden). */
  | { kind: 'failure'; n: number }
  /** Blocked exactly at the first request with a listed scanner User-Agent. */
  | { kind: 'scanner-ua' }
  /** Blocked no later than its n-th request. */
  | { kind: 'request'; n: number; why: string }
  /** Blocked no later than the answer to its n-th request that `pick` selects. */
  | { kind: 'answer'; n: number; pick: (e: Exchange) => boolean; why: string };

export interface AttackerSpec {
  /** The address; for a prefix attacker, next-expect fills in the one that got the due answer. */
  ip?: string;
  /** Requests from every address in this prefix count together. */
  prefix?: string;
  reason: string;
  accept?: string[];
  due: Due;
  misconfigured?: boolean;
}

export type AlertSpec =
  /** A success (200 to REGISTER/INVITE with credentials, or 183) after failures from `ip`. */
  | { kind: 'breach'; ip: string; user: string }
  /** One extension failing from many sources, each below HIT_COUNT. */
  | { kind: 'distributed'; user: string; minSources: number };

export interface CaseSpec {
  name: string;
  dir: 'golden' | 'golden-next';
  config: Record<string, string | number>;
  proposedConfig?: Record<string, string | number>;
  retimed?: { factor: number; tool: string; realSeconds: number };
  attackers: AttackerSpec[];
  neverBlocked: string[];
  /** Never blocked, although they get failed answers (a misconfigured phone below every threshold). */
  failingNeverBlocked?: string[];
  /** Addresses (or prefixes) a correct engine may block or not. */
  mayBlock?: string[];
  alerts?: AlertSpec[];
  notes: string;
}

/** True when `ip` is inside `cidr` (IPv4 or IPv6, text form). */
export function inPrefix(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/') as [string, string];
  const bits = (a: string): string => {
    if (a.includes('.'))
      return a
        .split('.')
        .map((x) => Number(x).toString(2).padStart(8, '0'))
        .join('');
    const [l, r = ''] = a.split('::') as [string, string?];
    const left = l === '' ? [] : l.split(':');
    const right = !a.includes('::') || r === '' ? [] : r.split(':');
    const groups = a.includes('::')
      ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
      : left;
    return groups.map((g) => Number.parseInt(g, 16).toString(2).padStart(16, '0')).join('');
  };
  if (ip.includes('.') !== net.includes('.')) return false;
  return bits(ip).slice(0, Number(len)) === bits(net).slice(0, Number(len));
}

/** An outside number: international prefixes and dial-prefix permutations (issue 12, item 3). */
export const OUTSIDE = /^(\+|00|011|9011|900|9)\d{6,}$|^972\d{6,}$/;
const outsideInvite = (e: Exchange) =>
  e.req.method === 'INVITE' && OUTSIDE.test(e.req.ruriUser ?? '') && !e.req.credentials;

const OFFICE =
  'accounts 200-299, User-Agents of Yealink, Grandstream, Polycom, snom and Fanvil phones; every phone re-registers from a new source port on a fresh Call-ID (REGISTER -> 401 -> REGISTER with credentials -> 200); every 2nd phone subscribes to its mailbox (SUBSCRIBE message-summary -> 407 -> with credentials -> 200, then the PBX NOTIFY -> 200); every 3rd phone sends OPTIONS keep-alives every 30 s; 2 phones PUBLISH presence every 60 s (-> 407 -> with credentials -> 489 Bad Event); 3 phones call wrong internal numbers (404), absent colleagues (480) and outside numbers (183, 200, BYE) every 40 s; the PBX qualifies every registered contact with OPTIONS (LAB_QUALIFY). Recorded with scripts/lab/office.sh.';

export const CASES: CaseSpec[] = [
  {
    name: 'office-nat',
    dir: 'golden',
    config: DEFAULTS,
    attackers: [],
    neverBlocked: [PHONE4],
    notes: `An office of 30 phones behind one NAT (${PHONE4}) for 300 s: ${OFFICE} One phone has BLF keys for 10 extensions that no longer exist (150-159) and retries each every 10 s from port 5060: SUBSCRIBE (Event dialog) -> 407 -> SUBSCRIBE with credentials -> 404. The 404s come after the PBX accepted the credentials: routing results, not probes. Nothing may be blocked.`,
  },
  {
    name: 'office-nat-100',
    dir: 'golden',
    config: DEFAULTS,
    attackers: [],
    neverBlocked: [PHONE4],
    notes: `The office with 100 phones behind one NAT (${PHONE4}) for 150 s, re-registering every 60 s: ${OFFICE} One phone's BLF keys retry 10 missing extensions every 10 s (404 after authentication). Nothing may be blocked.`,
  },
  {
    name: 'office-nat-fast-blf',
    dir: 'golden',
    config: DEFAULTS,
    attackers: [],
    neverBlocked: [PHONE4],
    notes: `The 30-phone office (${PHONE4}) for 100 s with faster BLF: 2 phones retry 10 missing extensions each (150-159, 155-164) every 5 s (SUBSCRIBE -> 407 -> with credentials -> 404), plus presence subscriptions to existing colleagues (200 and NOTIFY). ${OFFICE} Nothing may be blocked.`,
  },
  {
    name: 'server-requests',
    dir: 'golden',
    config: GOLDEN,
    attackers: [],
    neverBlocked: [PHONE4],
    notes: `The PBX's own requests (issue 12, item 6): 40 office phones (${PHONE4}) register from one fixed port each (phone 200 from port 5060), and the PBX qualifies every contact with OPTIONS every 5 s (LAB_QUALIFY=5) and sends a NOTIFY after every MWI SUBSCRIBE; the phones answer them 200 (sipp -aa). No BLF keys for missing extensions here (office-nat has them): only the PBX's own requests are on trial. A request from the PBX's port 5060 to a phone's port 5060 has a SIP port on both sides: the PBX (${PBX4}) must never be taken for a remote party, and the phones must never be charged for the PBX's requests. 60 s. ${OFFICE}`,
  },
  {
    name: 'slow-attack',
    dir: 'golden',
    config: DEFAULTS,
    retimed: { factor: 30, tool: 'test/lab/retime.testkit.ts', realSeconds: 150 },
    attackers: [
      {
        ip: ATK4,
        reason: 'slow-attack',
        due: {
          kind: 'answer',
          n: 60,
          pick: (e) => e.failed,
          why: 'by its 60th failed attempt (about 24 minutes in); SLOW_HOUR_COUNT 30 (the default) blocks at the 30th',
        },
      },
    ],
    neverBlocked: [PHONE4],
    failingNeverBlocked: [PHONE4],
    notes: `A slow attack, time stretched 30 times (recorded in 150 s with the real tools, stretched to 75 minutes by test/lab/retime.testkit.ts: every packet keeps its bytes and order, every gap is 30 times longer). ${ATK4} guesses passwords of user 100 with sipp, 150 REGISTERs each on a new Call-ID at 2.5 a minute (REGISTER -> 401 -> REGISTER with a wrong password -> 401), then sends 28 toll-fraud INVITEs without credentials, 2 a minute, From user 1000 (unknown: 404) and User-Agent Cisco-SIPGateway/IOS-12.x. HIT_COUNT 10 in MONIT_PERIOD 60 never fires. Behind the office's NAT (${PHONE4}), 5 phones (100-104) register every 150 s and a deleted extension's phone (105, Grandstream GXP2160) fails every 30 s all along on one Call-ID with a rising CSeq (148 failures): it fails about as often as the attacker, but with the shape of a misconfigured phone, and must not be blocked by a long-window rule (issue 12: defaults no phone reaches).`,
  },
  {
    name: 'distributed-guessing',
    dir: 'golden',
    config: DEFAULTS,
    attackers: [],
    mayBlock: Array.from({ length: 60 }, (_, i) => extra4(i)),
    alerts: [{ kind: 'distributed', user: '100', minSources: 40 }],
    neverBlocked: [PHONE4],
    notes: `Distributed guessing of one extension: 60 addresses (${extra4(0)}-${extra4(59)}) each send 3 sipp REGISTER guesses for user 100 (one every 2 s, answered 401), a new address every 2 s: 180 failures in 2 minutes, never more than 3 from one address, so no per-address rule fires. Expected: an alert that extension 100 is attacked from many addresses; blocking every source is an option (DISTRIBUTED_BLOCK), so each of them may be blocked. 5 phones (100-104) register from ${PHONE4} every 5 s.`,
  },
  {
    name: 'toll-fraud',
    dir: 'golden',
    config: DEFAULTS,
    attackers: [ATK4, extra4(10), extra4(11), extra4(12), extra4(13), extra4(14)].map((ip) => ({
      ip,
      reason: 'toll-fraud',
      due: {
        kind: 'answer' as const,
        n: 5,
        pick: outsideInvite,
        why: 'by the answer to its 5th INVITE to an outside number (a handful within seconds)',
      },
    })),
    neverBlocked: [PHONE4],
    notes: `Toll-fraud probes: 6 addresses each send 6 INVITEs without credentials within 3 s to 00972592345678, 011972592345678, +972592345678, 9011972592345678, 900972592345678 and 972592345678 (sipp/tollfraud.xml), each meeting another PBX's answer: ${ATK4} From 1000 (unknown user: 404), ${extra4(10)} 403, ${extra4(11)} 484, ${extra4(12)} 503, ${extra4(13)} a 401 challenge, ${extra4(14)} From 101 (a real user: 407 challenge); none answers a challenge. User-Agents: none, Cisco-SIPGateway/IOS-12.x, Asterisk PBX 16.2.1. Phone 200 (${PHONE4}) calls three outside numbers with its credentials (INVITE -> 407 -> INVITE with credentials -> 183, 200, ACK, BYE): a legitimate outside call; 5 phones register.`,
  },
  {
    name: 'breach',
    dir: 'golden',
    config: DEFAULTS,
    attackers: [],
    mayBlock: [ATK4, extra4(20)],
    alerts: [
      { kind: 'breach', ip: ATK4, user: '101' },
      { kind: 'breach', ip: extra4(20), user: '102' },
    ],
    neverBlocked: [PHONE4],
    notes: `Cracked passwords (issue 12, item 4): ${ATK4} guesses user 101 with sipp (7 wrong REGISTERs, answered 401, then the right password: 200); ${extra4(20)} guesses user 102 with 4 wrong REGISTERs (401), then calls 00972592345678 as 102 with the right password (INVITE -> 407 -> INVITE with credentials -> 183, 200, ACK, BYE: toll fraud got through; guessing with INVITEs instead, the 3rd refused call would be blocked as toll fraud, TOLL_COUNT 3, before the right password). (svcrack 0.3.3 cannot crack this registrar: it answers its qop=auth challenge without nc and cnonce, so even the right password is refused.) Neither reaches a blocking threshold; each must raise a breach alert at once, at the success, naming the extension, the address and the failures before it. 5 phones register from ${PHONE4}.`,
  },
  {
    name: 'renamed-scanners',
    dir: 'golden',
    config: DEFAULTS,
    attackers: [
      ...[21, 22].map((i) => ({
        ip: extra4(i),
        reason: 'scanner',
        due: { kind: 'request' as const, n: 1, why: 'at its only request: the svmap template shows in it' },
      })),
      ...[23, 24, 25].map((i) => ({
        ip: extra4(i),
        reason: 'scanner',
        due: {
          kind: 'request' as const,
          n: 3,
          why: 'within its first 3 requests: the tool template shows in every one',
        },
      })),
      {
        ip: extra4(30),
        reason: 'scanner',
        accept: ['scanner', 'enumeration'],
        due: {
          kind: 'request',
          n: 3,
          why: 'within its first 3 SIP requests (User-Agent "Nmap NSE", fixed texts)',
        },
      },
    ],
    // sipsak is what an admin's monitoring and registration tests send (the default
    // SCANNERS leave it out on purpose): its OPTIONS ping and its usrloc REGISTER carry
    // the same template whoever runs it (Via/From/Call-ID at 127.0.0.1, username
    // "100@100"), so the rules do not fingerprint it (src/core/detect/FINGERPRINTS.md):
    // blocking either is the rules' choice, not expected.
    mayBlock: [extra4(26), extra4(27)],
    neverBlocked: [PHONE4],
    notes: `Scanners with a renamed User-Agent (SIPVicious 0.3.3 from a copy whose default User-Agent is a phone's, see scripts/lab/sipvicious.sh --ua) and other scanners from Debian: ${extra4(21)} svmap OPTIONS as "Z 5.6.1 v2.10.20.2" (From "sipvicious"<sip:100@1.1.1.1>); ${extra4(22)} svmap REGISTER as the same with --fromname 100; ${extra4(23)} svwar -e100-130 REGISTER as "Yealink SIP-T46S 66.86.0.15"; ${extra4(24)} svwar INVITE as the same; ${extra4(25)} svcrack on user 100 (passwords 1000-1014) as "Grandstream GXP2170 1.0.11.79"; ${extra4(26)} sipsak 0.9.8.1 OPTIONS (one ping, as monitoring sends: may be blocked or not) and ${extra4(27)} sipsak usrloc REGISTER with a guessed password (User-Agent sipsak 0.9.8.1, which the default SCANNERS leave out on purpose: admins use sipsak; both may be blocked or not); ${extra4(30)} nmap 7.93 -sU -sT -sV -p 5060 with sip-methods and sip-enum-users (100-130): empty UDP probes, the TCP SIPOptions probe (From <sip:nm@nm>;tag=root, Call-ID 50000) and the scripts' requests (User-Agent "Nmap NSE", not in the default list). Fingerprints: testdata/golden-next/FINGERPRINTS.md. 5 phones register from ${PHONE4}.`,
  },
  {
    name: 'sip-sweep',
    dir: 'golden',
    config: DEFAULTS,
    attackers: [28, 29].map((i) => ({
      ip: extra4(i),
      reason: 'scanner',
      accept: ['scanner', 'scan'],
      due: {
        kind: 'request' as const,
        n: 27,
        why: 'by its last request: one source, 9 local addresses (on SIP_PORTS 5060 alone: 9 requests)',
      },
    })),
    neverBlocked: [PHONE4],
    notes: `A sweep of the PBX host: it has 9 addresses (${PBX4}-10.77.1.9; only ${PBX4}:5060 answers), svmap from ${extra4(28)} sends OPTIONS to all of them on ports 5060-5062 (27 targets), then from ${extra4(29)} REGISTERs (--fromname 200), both with a phone's User-Agent "Z 5.6.1 v2.10.20.2". Captured on ports 5060-5062 (SIP_PORTS stays 5060: the other ports have no server). 5 phones register from ${PHONE4}.`,
  },
  {
    name: 'flood',
    dir: 'golden',
    // FLOOD_RATE's default (1000 a second over 5 s) needs 5,000 requests in 5 s: more
    // than a 2 MB capture holds. 200 is what a small office's admin would set (this
    // office peaks near 30 a second) and exercises the same rule.
    config: { ...DEFAULTS, FLOOD_RATE: 200 },
    attackers: [
      {
        ip: ATK4,
        reason: 'flood',
        due: {
          kind: 'request',
          n: 1250,
          why: 'within its first 1250 requests (2.5 s): FLOOD_RATE 200 a second over 5 s is 1000, with slack for a two-bucket estimate',
        },
      },
    ],
    neverBlocked: [PHONE4],
    notes: `A flood next to a busy office: 30 phones behind ${PHONE4} for 20 s (${OFFICE}), then ${ATK4} sends 1500 OPTIONS at 500 a second (sipp/flood-options.xml, User-Agent of a Yealink phone, each answered 200: no failure, no probe, only the rate gives it away). Config FLOOD_RATE=200 (see the comment in next-cases.testkit.ts; the default is 1000).`,
  },
  {
    name: 'ipv6-rotation',
    dir: 'golden',
    config: DEFAULTS,
    attackers: [
      {
        prefix: ROTATE6,
        reason: 'auth-failures',
        due: { kind: 'failure', n: 10 },
      },
    ],
    mayBlock: [ROTATE6],
    neverBlocked: [PHONE6],
    notes: `An attacker rotating its source inside its own /64 (${ROTATE6}, 40 addresses ::1-::28 on the attacker's link): each address sends 2 sipp REGISTER guesses for user 100 (answered 401), one address after the other, 80 failures in about 40 s. Counted per /64, the HIT_COUNT-th (10th) failure blocks the prefix (or the address that got it; any address of the prefix may be blocked). 5 phones register from ${PHONE6} (another /64: fd77:1::/64).`,
  },
  {
    name: 'tcp-segments',
    dir: 'golden',
    config: GOLDEN,
    attackers: [
      { ip: ATK4, reason: 'auth-failures', due: { kind: 'failure', n: 5 } },
      { ip: extra4(1), reason: 'auth-failures', due: { kind: 'failure', n: 5 } },
    ],
    neverBlocked: [PHONE4],
    notes: `SIP over TCP the way the wire cuts it. The PBX advertises an MSS of 200 bytes to its /24 (route advmss), so every message the clients send spans several segments (the attacker's kernel segments them itself: gso_max_segs 1); the attacker's link is slow (tbf 100 kbit/s), so messages written while earlier ones wait leave together. ${ATK4}: 20 REGISTER guesses for user 100 at 10 a second over one connection (REGISTER -> 401 -> REGISTER with a wrong password -> 401), every request in 2-4 segments. ${extra4(1)} (full MSS): 20 guesses at 40 a second, several messages in one segment. 5 phones register over TCP from ${PHONE4}. Captured on eth0.`,
  },
  {
    name: 'ip-fragments',
    dir: 'golden',
    config: GOLDEN,
    attackers: [
      { ip: ATK4, reason: 'auth-failures', due: { kind: 'failure', n: 5 } },
      { ip: 'fd77:1::66', reason: 'auth-failures', due: { kind: 'failure', n: 5 } },
    ],
    neverBlocked: [PHONE4],
    notes: `IP-fragmented INVITEs: the attacker's link has an MTU of 1280, and its INVITEs carry a softphone's SDP (codecs, ICE candidates: about 1.9 kB), so each leaves in two IP fragments. ${ATK4} (IPv4) then fd77:1::66 (IPv6 fragment headers): 8 INVITE guesses each for user 100, calling extension 101 (INVITE -> 407 -> INVITE with a wrong password -> 407; an outside number would make it toll fraud first). 5 phones register from ${PHONE4}. Captured on eth0.`,
  },
  {
    name: 'pjsip-rechallenge',
    dir: 'golden',
    config: GOLDEN,
    attackers: [
      { ip: ATK4, reason: 'auth-failures', due: { kind: 'failure', n: 5 } },
      { ip: extra4(1), reason: 'auth-failures', due: { kind: 'failure', n: 5 } },
      { ip: extra4(2), reason: 'auth-failures', due: { kind: 'failure', n: 5 } },
    ],
    neverBlocked: [PHONE4],
    notes: `A PBX that answers like Asterisk's chan_pjsip (LAB_STYLE=pjsip): every challenge is a 401 with WWW-Authenticate (INVITE too), every wrong password a new 401 challenge, an unknown user a 401 as well (never 403 or 404). ${ATK4}: REGISTER guesses for user 100; ${extra4(1)}: INVITE guesses for user 100 calling extension 101 (401, not 407); ${extra4(2)}: REGISTER guesses for user 150, who does not exist (401 all the same). 12 guesses each at 4 a second. Phones: 5 register from ${PHONE4} every 5 s, and phone 106 re-registers with its cached nonce, which expires after 4 s (LAB_NONCE_EXPIRE=4): 401 stale=true, then fresh credentials, 200; those stale 401s must not count.`,
  },
];
