/**
 * The last good copy of each feed, in STATE_DIR/feeds/NAME.json (entries with since and
 * expiry, APIBAN's cursor): written atomically after every download that was taken, read
 * at start, so a restart enforces the feeds at once (with the time they have left) and
 * APIBAN resumes after its cursor instead of downloading everything again. A damaged
 * file is reported and the feed starts empty; it never stops the daemon.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyFeed, type FeedData, feedFromJson, feedToJson } from '../core/feeds/state.js';
import { writeFileAtomic } from '../platform/atomic-write.js';

export class FeedStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'feeds');
  }

  path(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  /** The stored data, an empty feed when there is none, and what was wrong with the file. */
  async load(name: string): Promise<{ data: FeedData; warning: string | null }> {
    let text: string;
    try {
      text = await readFile(this.path(name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { data: emptyFeed(name), warning: null };
      return { data: emptyFeed(name), warning: `cannot read ${this.path(name)}: ${(e as Error).message}` };
    }
    try {
      const { data, dropped } = feedFromJson(text, name);
      const warning =
        dropped > 0 ? `${this.path(name)}: ${dropped} stored entries were not valid and were dropped` : null;
      return { data, warning };
    } catch (e) {
      return {
        data: emptyFeed(name),
        warning: `${this.path(name)} is damaged (${(e as Error).message}); feed ${name} starts empty`,
      };
    }
  }

  async save(data: FeedData): Promise<void> {
    await writeFileAtomic(this.path(data.name), feedToJson(data), { mode: 0o600, code: 'SP_ERR_FEED' });
  }

  /** Stored feeds no longer in the feeds file: their files go (their entries lapse with them). */
  async prune(keep: ReadonlySet<string>): Promise<string[]> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch {
      return [];
    }
    const gone = files.filter((f) => f.endsWith('.json') && !keep.has(f.slice(0, -5)));
    for (const f of gone) await rm(join(this.dir, f), { force: true });
    return gone.map((f) => f.slice(0, -5));
  }
}
