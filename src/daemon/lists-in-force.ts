/**
 * The allow and deny lists in force (split out of daemon.ts, issue 11): the parsed lists
 * the engine, the kernel state and the API read, and the three ways they change while the
 * daemon runs:
 * - a change by CLI or UI (`changed`): the files are read again, the kernel's set follows
 *   at once (one `setList`, not a full reconcile), the live views hear of it;
 * - a fleet change (`fleetChanged`, cluster mode, entries the sync validated): applied from
 *   its entries (lists.ts withFleetChange: a 100k-entry join is not parsed again), the
 *   kernel follows, the files are written after, one write at a time and in order;
 * - a reload (`reload`): the files once no fleet change is still being written to them
 *   (a read before the write lands would lose the change).
 * Reading and parsing the files is lists.ts's; this file owns the order of those steps.
 */
import type { LiveEvent } from '../api/types.js';
import type { AccessLists } from '../core/lists/lists.js';
import type { ListEntry, ListName } from '../core/types.js';
import type { ListFiles } from '../lists/list-files.js';
import type { Firewall } from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';
import { readAccessLists, withFleetChange } from './lists.js';

export interface ListsDeps {
  /** The list files (lists/list-files.ts). */
  files: ListFiles;
  /** The lists as the kernel's first load read them (kernel-first.ts). */
  access: AccessLists;
  log: Logger;
  /** The firewall the enforcer uses (kernel-sync.ts: it reconciles when a change fails). */
  firewall: Pick<Firewall, 'setList'>;
  /** The engine's exemptions are stale once a list changed (pipeline.liftExempt). */
  liftExempt(): void;
  /** A firewall change that failed (the daemon reconciles again). */
  failed(e: unknown): void;
  emit(e: LiveEvent): void;
}

export class ListsInForce {
  private current: AccessLists;
  /** The fleet's list changes still being written to the list files (fleetChanged). */
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly d: ListsDeps) {
    this.current = d.access;
  }

  /** The parsed lists in force (replaced, never mutated, on every change). */
  get access(): AccessLists {
    return this.current;
  }

  /** The list files: the enforcer appends to deny, the API and the cluster edit them. */
  get files(): ListFiles {
    return this.d.files;
  }

  /** A list changed on disk (CLI or UI): the engine and the kernel follow at once. */
  async changed(name: ListName): Promise<void> {
    await this.reload();
    await this.enforce(name);
  }

  /**
   * A fleet change of a list: the lists in force and the kernel follow at once from these
   * entries, and the list file after (not read back); resolves once the file holds the change.
   */
  async fleetChanged(name: ListName, set: ListEntry[], remove: string[]): Promise<void> {
    this.current = withFleetChange(this.current, name, set, remove, this.d.log);
    await this.enforce(name);
    const write = this.writes.then(async () => {
      if (set.length > 0) await this.d.files.add(name, set);
      if (remove.length > 0) await this.d.files.remove(name, remove);
    });
    this.writes = write.catch(() => undefined);
    await write;
  }

  /** A reload: the list files, read once no fleet change is still being written to them. */
  async reload(): Promise<void> {
    this.current = await this.reread();
  }

  /** (Else the change in flight would be lost: the file is read before it holds it.) */
  private async reread(): Promise<AccessLists> {
    for (let w = this.writes; ; w = this.writes) {
      await w;
      if (w === this.writes) return readAccessLists(this.d.files, this.d.log);
    }
  }

  private async enforce(name: ListName): Promise<void> {
    const networks = name === 'allow' ? this.current.allowEntries() : this.current.denyEntries();
    this.d.liftExempt();
    try {
      await this.d.firewall.setList(
        name,
        networks.map((e) => e.network),
      );
    } catch (e) {
      this.d.failed(e);
    }
    this.d.emit({ type: 'lists', list: name });
  }
}
