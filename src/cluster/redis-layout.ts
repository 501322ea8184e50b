/**
 * The cluster bus's layout in Redis (split out of redis-bus.ts, issue 11): the key names, all
 * under the hash tag {sipprot} (one slot, so the Lua scripts also run on Redis Cluster), and
 * the argument vector of the PUBLISH script in the order redis-scripts.ts documents
 * (KEYS[1..13], then ARGV per event type). Keys:
 *   {sipprot}:events        Stream of events (field e = JSON, n = escalation), XADD MAXLEN ~ maxLen
 *   {sipprot}:blocks/blockx the fleet's blocks: base record JSON / merged numbers (redis-scripts.ts)
 *   {sipprot}:esc           hash ip → fleet-wide count of block episodes (BLOCK_THRESHOLD)
 *   {sipprot}:covers        the stream id the snapshot covers
 *   {sipprot}:list:allow|deny, :settings, :recipients, :geoip   last-writer-wins entries
 *   {sipprot}:seen:<id>     event ids published in the last day (idempotent re-publish)
 *   {sipprot}:unblocked     hash ip → `at|host` of its last manual unblock (tombstones)
 *   {sipprot}:forgot        tombstones at or before this time were pruned
 *   {sipprot}:hosts         hash host → heartbeat JSON (pruned after a week of silence)
 *   {sipprot}:lease:<job>   SET NX EX leases (daily summary, mail throttle, pruning)
 *   {sipprot}:geoip:<sha256> a geo-IP table's bytes (30 days)
 */
import { type ClusterEvent, encodeEvent } from '../core/cluster/events.js';

export const P = '{sipprot}:';
export const K = {
  events: `${P}events`,
  blocks: `${P}blocks`,
  blockx: `${P}blockx`,
  esc: `${P}esc`,
  covers: `${P}covers`,
  allow: `${P}list:allow`,
  deny: `${P}list:deny`,
  settings: `${P}settings`,
  recipients: `${P}recipients`,
  geoip: `${P}geoip`,
  hosts: `${P}hosts`,
  unblocked: `${P}unblocked`,
  forgot: `${P}forgot`,
};
/** How long a published event id is remembered: an outbox re-sends within minutes of a lost ack. */
export const SEEN_TTL = 86400;
/** A geo-IP table the fleet shares is kept 30 days (a host joining later still finds it). */
export const GEO_TTL = 30 * 86400;

/** PUBLISH_LUA's KEYS and ARGV for one event (redis-scripts.ts); `maxLen`: the stream's MAXLEN ~. */
export function publishArgs(e: ClusterEvent, maxLen: number): Array<string | number> {
  const keys = [
    K.events,
    K.blocks,
    K.blockx,
    K.esc,
    K.covers,
    K.allow,
    K.deny,
    K.settings,
    K.recipients,
    K.geoip,
  ];
  const head = [
    ...keys,
    `${P}seen:${e.id}`,
    K.unblocked,
    K.forgot,
    maxLen,
    SEEN_TTL,
    encodeEvent(e),
    e.type,
    String(e.at),
    e.host,
  ];
  switch (e.type) {
    case 'block': {
      const b = e.block;
      const exp = b.expiresAt === null ? 'P' : String(b.expiresAt);
      return [
        ...head,
        b.ip,
        e.action,
        b.reason,
        String(b.blockedAt),
        exp,
        String(b.lastSeen),
        String(b.attempts),
        String(b.timesBlocked),
        b.host,
        JSON.stringify(b),
      ];
    }
    case 'unblock':
      return [...head, e.ip, e.forgetHistory ? '1' : '0'];
    case 'list':
      return [
        ...head,
        e.list,
        e.op === 'remove' ? '1' : '0',
        ...e.entries.flatMap((x) => [x.network, e.op === 'remove' ? '' : x.note]),
      ];
    case 'settings':
      return [...head, ...Object.entries(e.values).flat()];
    case 'recipient':
      return [...head, e.email.toLowerCase(), e.removed ? '1' : '0', e.name ?? ''];
    case 'geoip':
      return [...head, e.sha256, String(e.bytes)];
    case 'attack':
      return head;
  }
}
