/**
 * The cluster's event vocabulary (issue 14), version 1, and the one gate every event passes
 * before a host acts on it: `decodeEvent` re-validates every field of what came out of Redis
 * as untrusted input (another host may be compromised, Redis may hold garbage), so a
 * malformed event is a value (`{ ok: false, reason }`, counted by the caller), never a throw
 * and never an nft command. Addresses and networks are parsed again and replaced by their
 * canonical text: what reaches the firewall is what core/net printed, not what a peer sent.
 *
 * Every event carries `v` (the format version: a host skips and counts versions it does not
 * know, so a newer host can join an older fleet), `id` (`<host>:<unique>`, the idempotency
 * key: Redis drops a second publish of the same id), `host` (the origin's CLUSTER_HOST_ID)
 * and `at` (the origin's clock, epoch seconds: the last-writer-wins order of list entries,
 * settings and recipients; see merge.ts).
 *
 * Bounds (a peer must not make a host allocate without limit): an encoded event ≤ 4 MiB,
 * ≤ 10,000 list entries or attacks per event (a 100k deny list is ten events), notes ≤ 500
 * characters (cleanNote), user agents ≤ 256, ≤ 50 users of ≤ 128 characters, setting
 * values ≤ 4096 characters and only fleet-wide keys (config/scope.ts).
 */
import { findConfigKey } from '../config/keys.js';
import { isFleetWide } from '../config/scope.js';
import { entryRefusal } from '../lists/entries.js';
import { cleanNote } from '../lists/lists.js';
import { checkNetwork, parseAddress } from '../net/ip.js';
import type { AttackRecord } from '../records.js';
import {
  RULES as ALL_RULES,
  type BlockRecord,
  type DecisionReason,
  type ListEntry,
  type ListName,
  type Rule,
  type Transport,
} from '../types.js';

export const EVENT_VERSION = 1;
export const MAX_EVENT_BYTES = 4 * 1024 * 1024;
export const MAX_BATCH = 10_000;
const MAX_UA = 256;
const MAX_USERS = 50;
const MAX_USER = 128;
const MAX_VALUE = 4096;
/** 1-63 letters, digits, '.', '_', '-' (CLUSTER_HOST_ID). */
export const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}:[A-Za-z0-9._-]{1,64}$/;

interface Base {
  v: typeof EVENT_VERSION;
  id: string;
  host: string;
  at: number;
}

/** A dynamic block, its renewal, or a threshold-permanent block (expiresAt null), with its record. */
export interface BlockEvent extends Base {
  type: 'block';
  /** 'block' and 'permanent' start an episode (counted toward BLOCK_THRESHOLD fleet-wide); 'extend' renews. */
  action: 'block' | 'extend' | 'permanent';
  block: BlockRecord & { host: string };
}
/** A block lifted by hand (expiry needs no event: every host lifts at the same expiresAt). */
export interface UnblockEvent extends Base {
  type: 'unblock';
  ip: string;
  /** Also forget the count toward BLOCK_THRESHOLD (the address left the deny list). */
  forgetHistory: boolean;
}
/** Allow or deny list entries added (with notes) or removed. */
export interface ListEvent extends Base {
  type: 'list';
  list: ListName;
  op: 'add' | 'remove';
  entries: ListEntry[];
}
/** Fleet-wide settings changed (KEY → value as the config file writes it). */
export interface SettingsEvent extends Base {
  type: 'settings';
  values: Record<string, string>;
}
export interface RecipientEvent extends Base {
  type: 'recipient';
  email: string;
  name: string | null;
  removed: boolean;
}
/** A new geo-IP table: its content is in Redis under `sha256` (ClusterBus.putGeoTable). */
export interface GeoipEvent extends Base {
  type: 'geoip';
  sha256: string;
  bytes: number;
}
/** Attacks a host saw, for the fleet's reports. */
export interface AttackEvent extends Base {
  type: 'attack';
  attacks: Array<AttackRecord & { host: string }>;
}

export type ClusterEvent =
  | BlockEvent
  | UnblockEvent
  | ListEvent
  | SettingsEvent
  | RecipientEvent
  | GeoipEvent
  | AttackEvent;
export type ClusterEventType = ClusterEvent['type'];

/** What a host publishes before the bus stamps version, id, host and time. */
export type EventBody = ClusterEvent extends infer E
  ? E extends ClusterEvent
    ? Omit<E, keyof Base>
    : never
  : never;

export type Decoded = { ok: true; event: ClusterEvent } | { ok: false; reason: string };

export function encodeEvent(e: ClusterEvent): string {
  return JSON.stringify(e);
}

/** Parses and re-validates one event; never throws. */
export function decodeEvent(raw: string): Decoded {
  if (raw.length > MAX_EVENT_BYTES) return bad(`event larger than ${MAX_EVENT_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return bad('not JSON');
  }
  try {
    return { ok: true, event: validate(v) };
  } catch (e) {
    return bad(e instanceof Invalid ? e.message : 'malformed');
  }
}

class Invalid extends Error {}
const bad = (reason: string): Decoded => ({ ok: false, reason });
function fail(msg: string): never {
  throw new Invalid(msg);
}

type Obj = Record<string, unknown>;
function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} is not an object`);
  return v as Obj;
}
function str(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length > max) fail(`${what} is not a string of at most ${max} characters`);
  return v;
}
function optStr(v: unknown, what: string, max: number): string | null {
  return v === null || v === undefined ? null : str(v, what, max);
}
function num(v: unknown, what: string, min = 0, max = 1e11): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    fail(`${what} is not a number ${min}-${max}`);
  return v;
}
function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') fail(`${what} is not a boolean`);
  return v;
}
function arr(v: unknown, what: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) fail(`${what} is not a list of at most ${max}`);
  return v;
}
function oneOf<T extends string>(v: unknown, what: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) fail(`${what} is not one of ${allowed.join(', ')}`);
  return v as T;
}
function host(v: unknown, what: string): string {
  const h = str(v, what, 63);
  if (!HOST_ID.test(h)) fail(`${what} is not a host id`);
  return h;
}
/** The canonical text of an address, or the event is refused. */
export function canonicalIp(v: unknown, what = 'ip'): string {
  const a = parseAddress(str(v, what, 64));
  if (!a) fail(`${what} is not an IP address`);
  return a.text;
}
function plainText(v: string): string {
  return v.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

// Every reason and rule of core/types.ts: a new one that is missing here does not compile.
const REASON_SET: Record<Exclude<DecisionReason, Rule>, true> = {
  prefix: true,
  'deny-list': true,
  country: true,
  manual: true,
  expired: true,
  threshold: true,
};
const RULES: readonly Rule[] = [...ALL_RULES];
const REASONS: readonly DecisionReason[] = [...RULES, ...(Object.keys(REASON_SET) as DecisionReason[])];
const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls', 'ws', 'sctp'];

function users(v: unknown): string[] {
  return arr(v, 'users', MAX_USERS).map((u) => plainText(str(u, 'user', MAX_USER)));
}

function country(v: unknown): string | null {
  const c = optStr(v, 'country', 2);
  if (c !== null && !/^[A-Z]{2}$/.test(c)) fail('country is not an ISO code');
  return c;
}

function blockRecord(v: unknown, origin: string): BlockRecord & { host: string } {
  const b = obj(v, 'block');
  const expiresAt = b.expiresAt === null ? null : num(b.expiresAt, 'expiresAt');
  const ua = optStr(b.userAgent, 'userAgent', MAX_UA);
  const note = optStr(b.note, 'note', 2000);
  return {
    ip: canonicalIp(b.ip),
    reason: oneOf(b.reason, 'reason', REASONS),
    userAgent: ua === null ? null : plainText(ua),
    country: country(b.country),
    attempts: num(b.attempts, 'attempts', 0, 1e9),
    users: users(b.users),
    transport: b.transport === null ? null : oneOf(b.transport, 'transport', TRANSPORTS),
    port: b.port === null ? null : num(b.port, 'port', 0, 65535),
    firstSeen: num(b.firstSeen, 'firstSeen'),
    lastSeen: num(b.lastSeen, 'lastSeen'),
    blockedAt: num(b.blockedAt, 'blockedAt'),
    expiresAt,
    timesBlocked: Math.floor(num(b.timesBlocked, 'timesBlocked', 0, 1e9)),
    misconfiguredPhone: bool(b.misconfiguredPhone, 'misconfiguredPhone'),
    note: note === null ? null : plainText(note),
    host: b.host === undefined ? origin : host(b.host, 'block.host'),
  };
}

function attack(v: unknown, origin: string): AttackRecord & { host: string } {
  const a = obj(v, 'attack');
  const ua = optStr(a.userAgent, 'userAgent', MAX_UA);
  return {
    at: num(a.at, 'at'),
    ip: canonicalIp(a.ip),
    rule: oneOf(a.rule, 'rule', RULES),
    userAgent: ua === null ? null : plainText(ua),
    attempts: num(a.attempts, 'attempts', 0, 1e9),
    users: users(a.users),
    transport: oneOf(a.transport, 'transport', TRANSPORTS),
    port: num(a.port, 'port', 0, 65535),
    misconfiguredPhone: bool(a.misconfiguredPhone, 'misconfiguredPhone'),
    country: country(a.country),
    host: origin,
  };
}

function listEntry(v: unknown): ListEntry {
  const e = obj(v, 'entry');
  const r = checkNetwork(str(e.network, 'network', 64));
  if (!r.ok) fail(`network: ${r.reason}`);
  // Never a list entry here either (0.0.0.0, loopback, multicast): the list file refuses it,
  // and one such entry made the whole change fail on every host.
  const refused = entryRefusal(r.network);
  if (refused) fail(`network: ${refused}`);
  return { network: r.network.text, note: cleanNote(str(e.note ?? '', 'note', 2000)) };
}

function settings(v: unknown): Record<string, string> {
  const o = obj(v, 'values');
  const out: Record<string, string> = {};
  const keys = Object.keys(o);
  if (keys.length > 200) fail('too many settings');
  for (const k of keys) {
    if (!isFleetWide(k)) fail(`${k.slice(0, 40)} is not a fleet-wide setting`);
    out[findConfigKey(k)!.key] = str(o[k], k, MAX_VALUE).replace(/[\r\n\0]/g, ' ');
  }
  return out;
}

function validate(v: unknown): ClusterEvent {
  const o = obj(v, 'event');
  if (o.v !== EVENT_VERSION) fail(`version ${String(o.v).slice(0, 10)} is not ${EVENT_VERSION}`);
  const origin = host(o.host, 'host');
  const id = str(o.id, 'id', 128);
  if (!EVENT_ID.test(id) || !id.startsWith(`${origin}:`)) fail('id is not <host>:<unique> of its host');
  const base: Base = { v: EVENT_VERSION, id, host: origin, at: num(o.at, 'at') };
  switch (o.type) {
    case 'block':
      return {
        ...base,
        type: 'block',
        action: oneOf(o.action, 'action', ['block', 'extend', 'permanent'] as const),
        block: blockRecord(o.block, origin),
      };
    case 'unblock':
      return {
        ...base,
        type: 'unblock',
        ip: canonicalIp(o.ip),
        forgetHistory: bool(o.forgetHistory, 'forgetHistory'),
      };
    case 'list':
      return {
        ...base,
        type: 'list',
        list: oneOf(o.list, 'list', ['allow', 'deny'] as const),
        op: oneOf(o.op, 'op', ['add', 'remove'] as const),
        entries: arr(o.entries, 'entries', MAX_BATCH).map(listEntry),
      };
    case 'settings':
      return { ...base, type: 'settings', values: settings(o.values) };
    case 'recipient': {
      const email = str(o.email, 'email', 254);
      if (!/^[^\s<>@]+@[^\s<>@]+$/.test(email)) fail('email is not an address');
      const name = optStr(o.name, 'name', 200);
      return {
        ...base,
        type: 'recipient',
        email,
        name: name === null ? null : plainText(name),
        removed: bool(o.removed, 'removed'),
      };
    }
    case 'geoip': {
      const sha256 = str(o.sha256, 'sha256', 64);
      if (!/^[0-9a-f]{64}$/.test(sha256)) fail('sha256 is not a hex digest');
      return { ...base, type: 'geoip', sha256, bytes: num(o.bytes, 'bytes', 1, 256 * 1024 * 1024) };
    }
    case 'attack':
      return {
        ...base,
        type: 'attack',
        attacks: arr(o.attacks, 'attacks', MAX_BATCH).map((a) => attack(a, origin)),
      };
    default:
      return fail(`type ${String(o.type).slice(0, 20)} is unknown`);
  }
}

/** A block record from the snapshot, re-validated like an event's; null when malformed. */
export function decodeBlock(v: unknown, origin: string): (BlockRecord & { host: string }) | null {
  try {
    return blockRecord(v, origin);
  } catch {
    return null;
  }
}

/** The canonical text of a network from the snapshot; null when malformed. */
export function decodeNetwork(v: string): string | null {
  const r = checkNetwork(v);
  return r.ok ? r.network.text : null;
}

/** A list entry's network from the snapshot: canonical, and one a list may hold; else null. */
export function decodeListNetwork(v: string): string | null {
  const r = checkNetwork(v);
  return r.ok && entryRefusal(r.network) === null ? r.network.text : null;
}

/** A host id from the snapshot, or null. */
export function decodeHost(v: unknown): string | null {
  return typeof v === 'string' && HOST_ID.test(v) ? v : null;
}
