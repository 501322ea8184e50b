/**
 * What this host tells the fleet: its committed decisions and attacks, and its changes of
 * lists, settings and recipients, as events (core/cluster/events.ts) in the durable outbox.
 *
 * - Decisions this host made only: those made by applying a peer's event are marked
 *   (`fromPeer`) and never sent back; a renewal here of a peer's block is sent (this host
 *   still sees the attacker: capture is before the firewall). Block and permanent are sent at once; a renewal only when the expiry
 *   grew by `extendStep` seconds since the last one sent (the policy's own interval,
 *   extendInterval in core/policy/held.ts: a renewal by hand or a peer's can come sooner;
 *   peers need the new expiry long before the old one runs out, not every second). An unblock by hand is sent; an expiry is not (every host lifts at the same time).
 * - A threshold-permanent block also adds the address to the fleet's deny list.
 * - List, settings and recipient changes are found by comparing what is in force with the
 *   versions last agreed with the fleet (core/cluster/diff.ts), so a change through the CLI,
 *   the UI, a hand edit of a list file or a write the fleet lost are all sent the same way.
 * Ids: `<host>:<start time base 36>-<counter>`: unique across restarts.
 */

import { reconcileEntries } from '../core/cluster/diff.js';
import { type ClusterEvent, EVENT_VERSION, type EventBody, MAX_BATCH } from '../core/cluster/events.js';
import type { FleetEntry, HostBlock } from '../core/cluster/merge.js';
import { blockRecordOf } from '../core/policy/block-record.js';
import type { AttackRecord } from '../core/records.js';
import type { Decision, ListEntry, ListName } from '../core/types.js';
import type { ClusterHost } from '../ports/cluster.js';
import type { ClusterJournal, SyncedKind } from './journal.js';

export interface OutboundOptions {
  self: string;
  startedAt: number;
  journal: ClusterJournal;
  host: ClusterHost;
  extendStep: number;
  /** Publish now. */
  kick(): void;
}

export class Outbound {
  private seq = 0;
  private readonly prefix: string;
  private readonly sentExpiry = new Map<string, number>();
  /** Decisions made by applying a peer's event: never sent back. */
  private readonly fromPeers = new WeakSet<Decision>();

  constructor(private readonly o: OutboundOptions) {
    this.prefix = `${o.self}:${Math.round(o.startedAt * 1000).toString(36)}-`;
  }

  /** Stamps and queues events durably, then publishes. */
  send(bodies: EventBody[], at: number): void {
    if (bodies.length === 0) return;
    const events = bodies.map(
      (b) =>
        ({ ...b, v: EVENT_VERSION, id: this.prefix + ++this.seq, host: this.o.self, at }) as ClusterEvent,
    );
    this.o.journal.append(events);
    this.o.kick();
  }

  /** Decisions that came from a peer's event (adopt, unblock): the fleet has them already. */
  fromPeer(ds: readonly Decision[]): void {
    for (const d of ds) this.fromPeers.add(d);
  }

  /** After the enforcer's local commit: this host's decisions and attacks. */
  committed(ds: readonly Decision[], attacks: readonly AttackRecord[], at: number): void {
    const { self, host } = this.o;
    const out: EventBody[] = [];
    for (const d of ds) {
      const action = d.action;
      // Peer decisions are the fleet's already; a "would block" (OBSERVE) is never enforced.
      if (this.fromPeers.has(d) || action === 'observe') continue;
      if (action === 'unblock') {
        this.sentExpiry.delete(d.ip);
        if (d.reason === 'manual') out.push({ type: 'unblock', ip: d.ip, forgetHistory: false });
        continue;
      }
      if (d.action === 'extend') {
        const sent = this.sentExpiry.get(d.ip);
        if (d.expiresAt === null || (sent !== undefined && d.expiresAt - sent < this.o.extendStep)) continue;
      }
      const rec = host.record(d.ip) ?? blockRecordOf(d);
      const block: HostBlock = { ...rec, users: rec.users.slice(), host: rec.host ?? self };
      if (d.action === 'extend' && block.expiresAt !== null)
        block.expiresAt = Math.max(block.expiresAt, d.expiresAt ?? 0);
      this.sentExpiry.set(d.ip, block.expiresAt ?? Number.POSITIVE_INFINITY);
      out.push({ type: 'block', action, block });
      if (d.action === 'permanent') {
        const entry = { network: d.ip, note: `sipprot: ${d.note ?? d.reason}` };
        out.push({ type: 'list', list: 'deny', op: 'add', entries: [entry] });
        this.o.journal.setSynced('deny', [[d.ip, { at, host: self, removed: false, value: entry.note }]]);
      }
    }
    const mine = attacks
      .filter((a) => a.host === undefined || a.host === self)
      .map((a) => ({ ...a, host: self }));
    for (let i = 0; i < mine.length; i += MAX_BATCH)
      out.push({ type: 'attack', attacks: mine.slice(i, i + MAX_BATCH) });
    this.send(out, at);
  }

  /** The list in force changed here (CLI, UI, reload): sends what differs from the fleet's. */
  listChanged(name: ListName, at: number): void {
    const local = new Map(this.o.host.listEntries(name).map((e) => [e.network, e.note] as const));
    this.sendEntries(name, local, at, (adds, removes) => [
      ...chunks(adds).map((entries): EventBody => ({ type: 'list', list: name, op: 'add', entries })),
      ...chunks(removes).map((entries): EventBody => ({ type: 'list', list: name, op: 'remove', entries })),
    ]);
  }

  /** Fleet-wide settings changed here (web UI, API, reload of an edited file). */
  settingsChanged(at: number): void {
    this.sendEntries('settings', this.o.host.settings(), at, (adds) =>
      adds.length === 0
        ? []
        : [{ type: 'settings', values: Object.fromEntries(adds.map((e) => [e.network, e.note])) }],
    );
  }

  async recipientsChanged(at: number): Promise<void> {
    const local = await this.o.host.recipients();
    this.sendEntries('recipients', local, at, (adds, removes) => [
      ...adds.map(
        (e): EventBody => ({ type: 'recipient', email: e.network, name: e.note || null, removed: false }),
      ),
      ...removes.map((e): EventBody => ({ type: 'recipient', email: e.network, name: null, removed: true })),
    ]);
  }

  private sendEntries(
    kind: SyncedKind,
    local: ReadonlyMap<string, string>,
    at: number,
    toEvents: (adds: ListEntry[], removes: ListEntry[]) => EventBody[],
  ): void {
    const r = reconcileEntries(local, this.o.journal.synced(kind), null, at, this.o.self);
    if (r.publish.length === 0) return;
    this.o.journal.setSynced(kind, r.synced);
    this.send(toEvents(...split(r.publish)), at);
  }
}

/** Published versions → entries added (with their value) and removed. */
export function split(publish: Array<[string, FleetEntry]>): [ListEntry[], ListEntry[]] {
  const adds: ListEntry[] = [];
  const removes: ListEntry[] = [];
  for (const [k, e] of publish)
    (e.removed ? removes : adds).push({ network: k, note: e.removed ? '' : e.value });
  return [adds, removes];
}

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += MAX_BATCH) out.push(xs.slice(i, i + MAX_BATCH));
  return out;
}
