/**
 * The small fakes of ApiDeps beside the Admin (admin.fake.ts): a settable clock, an event
 * bus the test drives (and counts subscribers of: the live view's leak checks), and the
 * settings kept in a map, starting from every key's default and running the Admin's
 * country lock-out guard on BLOCKED_COUNTRIES as the daemon's settings do.
 */
import { CONFIG_KEYS } from '../core/config/keys.js';
import type { ChangeOptions } from '../ports/admin.js';
import type { LiveEvent, SettingsView } from './types.js';

export class FakeClock {
  constructor(public t = 1_750_000_000) {}
  now = () => this.t;
  advance(s: number): void {
    this.t += s;
  }
}

export class FakeEvents {
  private readonly subs = new Set<(e: LiveEvent) => void>();
  subscribe = (cb: (e: LiveEvent) => void) => {
    this.subs.add(cb);
    return () => {
      this.subs.delete(cb);
    };
  };
  emit(e: LiveEvent): void {
    for (const s of this.subs) s(e);
  }
  get size(): number {
    return this.subs.size;
  }
}

export class FakeSettings {
  values: Record<string, string> = Object.fromEntries(CONFIG_KEYS.map((k) => [k.key, k.default]));
  readonly updates: Array<{ changes: Record<string, string>; requester: string | null }> = [];
  source = '/etc/sipprot/sipprot.conf';

  /** The daemon's settings run the country lock-out guard of its Admin; so does this fake. */
  constructor(
    private readonly admin?: {
      guardCountries(countries: readonly string[], opts?: ChangeOptions): Promise<void>;
    },
  ) {}

  read = async (): Promise<SettingsView> => ({ source: this.source, values: { ...this.values } });

  update = async (
    changes: Record<string, string>,
    requester: string | null,
    opts: { force?: boolean } = {},
  ): Promise<SettingsView> => {
    const countries = changes.BLOCKED_COUNTRIES;
    if (countries !== undefined && this.admin) {
      const list = countries
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean);
      await this.admin.guardCountries(list, { requester, ...opts });
    }
    this.updates.push({ changes, requester });
    Object.assign(this.values, changes);
    const restart = Object.keys(changes).filter((k) => k === 'WEB_LISTEN' || k === 'STATE_DIR');
    return {
      source: this.source,
      values: { ...this.values },
      restartRequired: restart,
      message: `applied ${Object.keys(changes).join(', ')}`,
    };
  };
}
