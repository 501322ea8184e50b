/**
 * The daemon's shared blocklists (issue 15 item 5): FEEDS_FILE read at start and on every
 * reload, the FeedManager running each feed, and its entries in the kernel's feed sets.
 * Started after the first reconcile, so its first change finds the table in place; every
 * later reconcile (reload, after an error) takes the feeds from `entries()` as well.
 * Problems in the feeds file are logged with file and line; the good feeds still run.
 */
import { configDir } from '../core/config/parse.js';
import type { Protected } from '../core/lists/lockout.js';
import type { Config } from '../core/types.js';
import { readFeedsFile } from '../feeds/feeds-file.js';
import { FeedManager } from '../feeds/manager.js';
import { FeedStore } from '../feeds/store.js';
import type { FeedsView } from '../ports/feeds.js';
import type { FeedBlock, Firewall } from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';

export interface DaemonFeedsDeps {
  firewall: Pick<Firewall, 'setFeeds'>;
  log: Logger;
  /** Addresses no feed may drop (this host's, its gateways and resolvers, admin sessions). */
  protect(): Protected[];
  failed(e: unknown): void;
  clock(): number;
}

export class DaemonFeeds {
  private manager: FeedManager | null = null;
  private stopped = false;

  constructor(private readonly d: DaemonFeedsDeps) {}

  /** Reads the feeds file of `config` and (re)configures the feeds. */
  async apply(config: Config): Promise<void> {
    const r = await readFeedsFile(config.feedsFile);
    for (const p of r.problems) this.d.log.error({ file: config.feedsFile }, p);
    for (const w of r.warnings) this.d.log.warn({ file: config.feedsFile }, w);
    if (!this.manager) {
      if (r.specs.length === 0) return;
      this.manager = new FeedManager({
        store: new FeedStore(config.stateDir),
        configDir: configDir(config.source),
        log: this.d.log,
        now: this.d.clock,
        onChange: () => this.changed(),
      });
      await this.manager.start(r.specs);
      this.d.log.info({ feeds: r.specs.map((s) => s.name) }, 'blocklist feeds started');
      return;
    }
    await this.manager.reconfigure(r.specs);
  }

  /** What the feed sets must hold now (empty without feeds). */
  entries(): FeedBlock[] {
    return this.manager?.kernel(this.d.protect()) ?? [];
  }

  view(): FeedsView | null {
    return this.manager;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.manager?.stop();
  }

  private changed(): void {
    if (this.stopped) return;
    this.d.firewall.setFeeds(this.entries()).catch((e) => this.d.failed(e));
  }
}
