/**
 * The ClusterBus on Redis (or Valkey) with ioredis (issue 14). Its keys and the publish
 * script's arguments: redis-layout.ts; the scripts: redis-scripts.ts; reading the snapshot's
 * hashes: redis-snapshot.ts.
 *
 * Two connections: one for commands (fail fast: no offline queue, 3 s command timeout, so a
 * Redis outage rejects at once and the caller keeps its outbox), one for the blocking XREAD
 * of the stream and the snapshot (30 s: a 100k-entry snapshot on a busy host; a silent
 * partition ends it too).
 * Reconnects forever, backing off to 2 s. `rediss://` URLs use TLS (ioredis; the CA is the
 * system's or NODE_EXTRA_CA_CERTS); user and password in the URL use Redis ACLs (AUTH).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { type ClusterEvent, decodeEvent, decodeHost } from '../core/cluster/events.js';
import { SipprotError } from '../core/errors.js';
import type {
  BusState,
  ClusterBus,
  HostInfo,
  PublishResult,
  Snapshot,
  StreamEntry,
  StreamInfo,
} from '../ports/cluster.js';
import { GEO_TTL, K, P, publishArgs } from './redis-layout.js';
import { PRUNE_LUA, PRUNE_TOMBSTONES_LUA, PUBLISH_LUA } from './redis-scripts.js';
import { readLifts, readSnapshot } from './redis-snapshot.js';

/** The reader's command timeout: a blocking read, and a whole snapshot (100k entries). */
const SNAPSHOT_TIMEOUT_MS = 30_000;

/**
 * The least a host's Redis user needs (`ACL SETUSER sipprot <these rules>`): its keys, the
 * commands of this file and ioredis's connection set-up; no admin or dangerous command.
 * The README shows it; redis-bus.test.ts runs the whole bus as such a user.
 */
export const ACL_RULES =
  'on >host-secret resetkeys ~{sipprot}:* resetchannels -@all +@connection +ping +info +client|setname ' +
  '+get +set +hset +hget +hdel +hexists +hgetall +hincrby +xadd +xread +xinfo|stream +xlen +xrevrange ' +
  '+eval +evalsha +script|load +multi +exec';

export interface RedisBusOptions {
  url: string;
  /** Stream entries kept (approximately); default 100,000. */
  maxLen?: number;
  /** Command timeout in ms (default 3000). */
  timeoutMs?: number;
  /** rediss://: extra TLS options (tests pass their CA; production uses the system's CAs or
   * NODE_EXTRA_CA_CERTS, e.g. in the systemd unit). */
  tls?: { ca?: string | Buffer };
}

type Conn = Redis & {
  sipPublish(...args: Array<string | number>): Promise<[string, number, number]>;
  sipPrune(...args: Array<string | number>): Promise<number>;
  sipPruneTombstones(...args: Array<string | number>): Promise<number>;
};

export class RedisBus implements ClusterBus {
  private readonly cmd: Conn;
  private readonly reader: Redis;
  private current: BusState = 'connecting';
  private readonly listeners: Array<(s: BusState, why: string) => void> = [];
  private readonly maxLen: number;

  constructor(opts: RedisBusOptions) {
    this.maxLen = opts.maxLen ?? 100_000;
    const timeout = opts.timeoutMs ?? 3000;
    const base: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: timeout,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      keepAlive: 5000,
      ...(opts.tls && /^rediss:/i.test(opts.url) ? { tls: { ...opts.tls } } : {}),
    };
    this.cmd = new Redis(opts.url, { ...base, commandTimeout: timeout, connectionName: 'sipprot' }) as Conn;
    this.cmd.defineCommand('sipPublish', { numberOfKeys: 13, lua: PUBLISH_LUA });
    this.cmd.defineCommand('sipPrune', { numberOfKeys: 2, lua: PRUNE_LUA });
    this.cmd.defineCommand('sipPruneTombstones', { numberOfKeys: 5, lua: PRUNE_TOMBSTONES_LUA });
    // The reader's XREAD BLOCK waits up to its block time, and it reads the snapshot (100k
    // entries take seconds on a busy host): it gets its own, longer timeout.
    this.reader = new Redis(opts.url, {
      ...base,
      commandTimeout: SNAPSHOT_TIMEOUT_MS,
      connectionName: 'sipprot-reader',
    });
    this.cmd.on('ready', () => this.setState('up', 'connected'));
    this.cmd.on('close', () => this.setState('down', 'connection closed'));
    this.cmd.on('error', (e: Error) => this.setState('down', e.message));
    this.reader.on('error', () => undefined);
  }

  state(): BusState {
    return this.current;
  }

  /** Both connections ready (the reader's too: the first read would fail otherwise). */
  async ready(timeoutMs: number): Promise<boolean> {
    const one = (c: Redis) =>
      c.status === 'ready'
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const t = setTimeout(() => resolve(c.status === 'ready'), timeoutMs);
            c.once('ready', () => {
              clearTimeout(t);
              resolve(true);
            });
          });
    const [a, b] = await Promise.all([one(this.cmd), one(this.reader)]);
    return a && b;
  }

  onState(cb: (s: BusState, why: string) => void): void {
    this.listeners.push(cb);
  }

  async publish(events: readonly ClusterEvent[]): Promise<PublishResult[]> {
    if (events.length === 0) return [];
    const pipe = this.cmd.pipeline() as unknown as { sipPublish(...a: Array<string | number>): void };
    for (const e of events) pipe.sipPublish(...publishArgs(e, this.maxLen));
    const replies = await this.run(() =>
      (pipe as unknown as { exec(): Promise<Array<[Error | null, unknown]>> }).exec(),
    );
    return replies.map(([err, r]) => {
      if (err) throw wrap(err, 'publish');
      const [id, dup, n] = r as [string, number, number];
      return { id, duplicate: dup === 1, stale: dup === 2, escalation: n < 0 ? null : n };
    });
  }

  async read(after: string, opts: { count: number; blockMs: number }): Promise<StreamEntry[]> {
    const args: Array<string | number> = ['COUNT', opts.count];
    if (opts.blockMs > 0) args.push('BLOCK', opts.blockMs);
    let r: unknown;
    try {
      r = await this.reader.call('XREAD', ...args, 'STREAMS', K.events, after);
    } catch (e) {
      throw wrap(e, 'read');
    }
    if (!Array.isArray(r) || r.length === 0) return [];
    // RESP3 (ioredis 6 speaks it) flattens the reply map to [key, entries]; RESP2 nests it.
    const entries = (typeof r[0] === 'string' ? r[1] : (r[0] as unknown[])[1]) as Array<[string, string[]]>;
    return entries.map(([id, fields]) => {
      const f = fieldMap(fields);
      const d = decodeEvent(String(f.get('e') ?? ''));
      const n = Number(f.get('n'));
      const escalation = Number.isInteger(n) && n >= 0 ? n : null;
      return d.ok
        ? { id, event: d.event, escalation }
        : { id, event: null, reason: d.reason, escalation: null };
    });
  }

  async missed(after: string): Promise<boolean> {
    const info = await this.run(() => this.cmd.call('XINFO', 'STREAM', K.events)).catch((e: unknown) => {
      if (e instanceof SipprotError && /no such key/i.test(String((e.cause as Error)?.message))) return null;
      throw e;
    });
    if (info === null) return after !== '0-0';
    // Trimming does not move max-deleted-entry-id (Redis 7.0): entries were lost after
    // `after` when some were trimmed and the oldest one left is later than `after` (at worst
    // one needless snapshot reload when `after` was the last one trimmed).
    const f = fieldMap(info as unknown[]);
    const trimmed = Number(f.get('entries-added')) > Number(f.get('length'));
    const first = f.get('first-entry') as [string, unknown] | null | undefined;
    return trimmed && (first == null || idLess(after, first[0]));
  }

  async snapshot(): Promise<Snapshot> {
    const keys = [K.blocks, K.blockx, K.esc, K.allow, K.deny, K.settings, K.recipients, K.geoip, K.unblocked];
    const multi = this.reader.multi();
    // The lists as Redis sends them (flat field, value arrays): a 100k-entry list made into
    // an object first took ~0.2-0.3 s more of a joining host's main thread.
    for (const k of keys)
      if (k === K.allow || k === K.deny) multi.call('HGETALL', k);
      else multi.hgetall(k);
    multi.get(K.covers);
    multi.get(K.forgot);
    const replies = await this.run(() => multi.exec());
    if (!replies) throw new SipprotError('SP_ERR_CLUSTER', 'Redis aborted the snapshot read');
    const v = replies.map(([err, x]) => {
      if (err) throw wrap(err, 'snapshot');
      return x;
    });
    const h = (i: number) => (v[i] ?? {}) as Record<string, string>;
    const snap = readSnapshot(
      h(0),
      h(1),
      h(2),
      [flat(v[3]), flat(v[4])],
      h(5),
      h(6),
      h(7),
      (v[9] as string | null) ?? '0-0',
    );
    snap.rejected += readLifts(snap.fleet, h(8), v[10] as string | null);
    return snap;
  }

  async heartbeat(info: HostInfo): Promise<void> {
    await this.run(() => this.cmd.hset(K.hosts, info.host, JSON.stringify(info)));
  }

  async hosts(): Promise<HostInfo[]> {
    const all = await this.run(() => this.cmd.hgetall(K.hosts));
    const out: HostInfo[] = [];
    for (const [host, json] of Object.entries(all)) {
      try {
        const x = JSON.parse(json) as HostInfo;
        if (decodeHost(host) !== null && typeof x.at === 'number') out.push({ ...x, host });
      } catch {
        // a malformed heartbeat is skipped
      }
    }
    return out.sort((a, b) => a.host.localeCompare(b.host));
  }

  async streamInfo(): Promise<StreamInfo> {
    const [len, last] = await this.run(() =>
      Promise.all([this.cmd.xlen(K.events), this.cmd.xrevrange(K.events, '+', '-', 'COUNT', 1)]),
    );
    return { length: len, lastId: last[0]?.[0] ?? '0-0' };
  }

  async claim(job: string, holder: string, ttlSeconds: number): Promise<boolean> {
    const r = await this.run(() =>
      this.cmd.set(`${P}lease:${job}`, holder, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX'),
    );
    return r === 'OK';
  }

  async pruneExpired(now: number): Promise<number> {
    return this.run(() => this.cmd.sipPrune(K.blocks, K.blockx, String(now)));
  }

  async pruneTombstones(before: number): Promise<number> {
    return this.run(() =>
      this.cmd.sipPruneTombstones(K.unblocked, K.allow, K.deny, K.recipients, K.forgot, String(before)),
    );
  }

  async pruneHosts(before: number): Promise<number> {
    const all = await this.run(() => this.cmd.hgetall(K.hosts));
    const gone = Object.entries(all)
      .filter(([, json]) => {
        try {
          const at = (JSON.parse(json) as { at?: unknown }).at;
          return typeof at !== 'number' || at <= before;
        } catch {
          return true; // a malformed heartbeat goes too
        }
      })
      .map(([host]) => host);
    if (gone.length > 0) await this.run(() => this.cmd.hdel(K.hosts, ...gone));
    return gone.length;
  }

  async putGeoTable(sha256: string, bytes: Uint8Array): Promise<void> {
    await this.run(() => this.cmd.set(`${P}geoip:${sha256}`, Buffer.from(bytes), 'EX', GEO_TTL));
  }

  async getGeoTable(sha256: string): Promise<Uint8Array | null> {
    const b = await this.run(() => this.cmd.getBuffer(`${P}geoip:${sha256}`));
    return b === null ? null : new Uint8Array(b);
  }

  async close(): Promise<void> {
    this.setState('closed', 'closed');
    this.reader.disconnect();
    await this.cmd.quit().catch(() => this.cmd.disconnect());
  }

  private setState(s: BusState, why: string): void {
    if (this.current === 'closed' || this.current === s) return;
    this.current = s;
    for (const l of this.listeners) l(s, why);
  }

  private async run<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw wrap(e, 'command');
    }
  }
}

function wrap(e: unknown, what: string): SipprotError {
  if (e instanceof SipprotError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new SipprotError('SP_ERR_CLUSTER', `Redis ${what} failed: ${msg}`, { cause: e });
}

function fieldMap(fields: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(String(fields[i]), fields[i + 1]);
  return m;
}

function idLess(a: string, b: string): boolean {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am < bm : as < bs;
}

/** A raw HGETALL reply: field, value, field, value… (anything else: none). */
function flat(x: unknown): string[] {
  return Array.isArray(x) && x.every((e) => typeof e === 'string') ? (x as string[]) : [];
}
