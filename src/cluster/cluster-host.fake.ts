/**
 * A ClusterHost for the sync tests (sync.test.ts, resync.test.ts): the allow and deny lists
 * in maps (`lists`, what listEntries reads and applyList writes), and nothing else held —
 * no blocks, settings, recipients, attacks or geo-IP table; every other change is taken and
 * dropped. A test passes what it watches or breaks as overrides (a recorded call, a list
 * write that hangs where a kill -9 would stop it, an entry the lock-out guard refuses).
 * Not the daemon's host (daemon/cluster.ts), whose files, kernel and store these stand for.
 */
import type { HostBlock } from '../core/cluster/merge.js';
import type { BlockRecord, ListEntry, ListName } from '../core/types.js';
import type { ClusterHost, ListApplied } from '../ports/cluster.js';

export type HostLists = Record<ListName, Map<string, string>>;

export class FakeClusterHost implements ClusterHost {
  constructor(
    readonly lists: HostLists = { allow: new Map(), deny: new Map() },
    overrides: Partial<ClusterHost> = {},
  ) {
    Object.assign(this, overrides);
  }

  adopt(_blocks: HostBlock[]): void {}
  unblock(_ip: string, _forgetHistory: boolean, _from: string): void {}
  raiseEscalation(_ip: string, _n: number): void {}
  blocks(): HostBlock[] {
    return [];
  }
  record(_ip: string): BlockRecord | undefined {
    return undefined;
  }
  listEntries(name: ListName): ListEntry[] {
    return [...this.lists[name]].map(([network, note]) => ({ network, note }));
  }
  async applyList(name: ListName, set: ListEntry[], remove: string[]): Promise<ListApplied> {
    writeList(this.lists, name, set, remove);
    return { refused: [] };
  }
  settings(): Map<string, string> {
    return new Map();
  }
  async applySettings(_values: Record<string, string>): Promise<void> {}
  async refusedSettings(_values: Record<string, string>): Promise<string[]> {
    return [];
  }
  async recipients(): Promise<Map<string, string>> {
    return new Map();
  }
  async applyRecipients(_set: Array<[string, string]>, _remove: string[]): Promise<void> {}
  async recordAttacks(): Promise<void> {}
  async geoDigest(): Promise<string | null> {
    return null;
  }
  async applyGeo(_sha256: string): Promise<void> {}
  async publishGeo(): Promise<void> {}
}

/** A list change as the list file takes it: `set` added or re-noted, `remove` gone. */
export function writeList(
  lists: HostLists,
  name: ListName,
  set: readonly ListEntry[],
  remove: readonly string[],
): void {
  for (const e of set) lists[name].set(e.network, e.note);
  for (const n of remove) lists[name].delete(n);
}
