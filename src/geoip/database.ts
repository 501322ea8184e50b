/**
 * The geo-IP database the daemon holds: the admin's .mmdb when GEOIP_MMDB names one and
 * it reads and passes the checks (mmdb-source.ts); else the current table under STATE_DIR
 * when it is there and sound, else the shipped one. Updated from a URL or file (or the
 * .mmdb re-read when it changed) only after the new data has passed every check and, for
 * URL updates, is safely on disk. A failed update changes nothing.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SipprotError } from '../core/errors.js';
import type { GeoDataMeta } from '../core/geoip/bin.js';
import { describeHits, withoutReserved } from '../core/geoip/reserved.js';
import { GeoTable } from '../core/geoip/table.js';
import { checkGeoUpdate, type GeoSource } from '../core/geoip/validate.js';
import { peekTableMeta, readTableFile, SHIPPED_TABLE, type TableFile, writeTableFile } from './files.js';
import { tableFromMmdb } from './mmdb-source.js';
import { fetchSource, parseSource, type SourceOptions } from './source.js';

export interface GeoMeta extends GeoDataMeta {
  /**
   * 'shipped': data/geoip/geoip.bin.gz; 'state': STATE_DIR/geoip/current.bin.gz; 'mmdb':
   * the admin's GEOIP_MMDB file.
   */
  origin: 'shipped' | 'state' | 'mmdb';
  /** The file the table was read from or written to. */
  file: string;
  /** Epoch seconds when this process loaded (or swapped in) the table. */
  loadedAt: number;
  /** Epoch seconds of the update that produced the table; null for the shipped data. */
  updatedAt: number | null;
}

interface GeoLoadOptions {
  /** Defaults to data/geoip/geoip.bin.gz of this package. */
  shippedPath?: string;
  /** GEOIP_MMDB: read this .mmdb instead (falls back, with a warning, when it is unusable). */
  mmdb?: string | null;
  /** Epoch seconds; defaults to the wall clock. */
  now?: () => number;
}

export interface GeoUpdateOptions extends SourceOptions {
  /** URL(s) or path(s); one string may list several separated by whitespace or commas. */
  from: string | readonly string[];
  /** Refuse when a family's range count falls below this share of the current (default 0.5). */
  minRatio?: number;
  now?: () => number;
}

export interface GeoUpdateResult {
  meta: GeoMeta;
  previous: GeoMeta;
  /** Things the admin should know that did not stop the update. */
  warnings: string[];
}

type GeoChangeListener = (db: GeoDatabase, previous: GeoMeta) => void | Promise<void>;

const wallClock = () => Date.now() / 1000;

/**
 * A table written before special-purpose ranges were cut (an older STATE_DIR, an old
 * shipped file) is cleaned as it loads (issue 10 item 6): a LAN address never has a country.
 */
function clean(table: GeoTable, path: string, warnings: string[]): GeoTable {
  const r = withoutReserved(table);
  if (r.hits.length > 0) {
    warnings.push(
      `${path}: special-purpose ranges carried countries (cut as loaded): ${describeHits(r.hits)}`,
    );
  }
  return r.table;
}

/** Stored in the table file so a restart knows when the last update happened. */
interface StoredMeta extends GeoDataMeta {
  updatedAt?: number;
}

export class GeoDatabase {
  private current: { table: GeoTable; meta: GeoMeta };
  private readonly listeners = new Set<GeoChangeListener>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The .mmdb in use and its mtime (re-read only when it changes). */
  private mmdb: { path: string; mtimeMs: number } | null = null;

  private constructor(
    readonly stateDir: string | null,
    table: GeoTable,
    meta: GeoMeta,
    /** Why the state table was not used, if it was not (damaged, older than the shipped one). */
    readonly warnings: readonly string[],
  ) {
    this.current = { table, meta };
  }

  static currentPath(stateDir: string): string {
    return join(stateDir, 'geoip', 'current.bin.gz');
  }

  /**
   * The state table if present and valid and not older than the shipped one, else the
   * shipped table. Throws SP_ERR_GEOIP only when no usable table exists at all.
   */
  static async load(stateDir: string | null, opts: GeoLoadOptions = {}): Promise<GeoDatabase> {
    const now = opts.now ?? wallClock;
    const shippedPath = opts.shippedPath ?? SHIPPED_TABLE;
    const warnings: string[] = [];
    if (opts.mmdb) {
      try {
        const m = await tableFromMmdb(opts.mmdb, { v4Ranges: 0, v6Ranges: 0 });
        warnings.push(...m.warnings);
        const meta: GeoMeta = {
          ...m.meta,
          origin: 'mmdb',
          file: opts.mmdb,
          loadedAt: now(),
          updatedAt: null,
        };
        const db = new GeoDatabase(stateDir, m.table, meta, warnings);
        db.mmdb = { path: opts.mmdb, mtimeMs: m.mtimeMs };
        return db;
      } catch (e) {
        warnings.push(`GEOIP_MMDB is not used: ${(e as Error).message}; using sipprot's own table`);
      }
    }
    if (stateDir !== null) {
      const path = GeoDatabase.currentPath(stateDir);
      const exists = await stat(path).then(
        () => true,
        () => false,
      );
      if (exists) {
        let found: TableFile | null = null;
        try {
          found = await readTableFile(path);
        } catch (e) {
          warnings.push(`${(e as Error).message}; using the shipped table instead`);
        }
        if (found) {
          const shipped = await peekTableMeta(shippedPath);
          if (shipped && shipped.date > found.meta.date) {
            warnings.push(
              `${path} (${found.meta.date}) is older than the shipped table (${shipped.date}); using the shipped table`,
            );
          } else {
            const stored = found.meta as StoredMeta;
            const meta = GeoDatabase.metaOf(found, 'state', path, now(), stored.updatedAt ?? null);
            return new GeoDatabase(stateDir, clean(found.table, path, warnings), meta, warnings);
          }
        }
      }
    }
    const shipped = await readTableFile(shippedPath);
    return new GeoDatabase(
      stateDir,
      clean(shipped.table, shippedPath, warnings),
      GeoDatabase.metaOf(shipped, 'shipped', shippedPath, now(), null),
      warnings,
    );
  }

  private static metaOf(
    f: TableFile,
    origin: GeoMeta['origin'],
    file: string,
    loadedAt: number,
    updatedAt: number | null,
  ): GeoMeta {
    return {
      source: f.meta.source,
      date: f.meta.date,
      v4Ranges: f.table.v4Ranges,
      v6Ranges: f.table.v6Ranges,
      origin,
      file,
      loadedAt,
      updatedAt,
    };
  }

  get table(): GeoTable {
    return this.current.table;
  }

  get meta(): GeoMeta {
    return this.current.meta;
  }

  /** Country code of an address, null if unassigned or not an address. */
  country(ip: string | Uint8Array): string | null {
    return this.current.table.country(ip);
  }

  /**
   * Called after each successful update, with the new table in place (e.g. to reload the
   * country sets in nftables). A listener's failure is reported in the update's warnings.
   */
  onChange(listener: GeoChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * GEOIP_MMDB: re-reads the file when it changed since it was loaded (or always, with
   * `force`), checked against the table in use (a file half the size is refused). Null
   * when nothing changed or the database is not from a .mmdb. Runs in the update queue.
   */
  refreshMmdb(opts: { force?: boolean; now?: () => number } = {}): Promise<GeoUpdateResult | null> {
    const run = this.queue.then(async () => {
      const m = this.mmdb;
      if (!m) return null;
      const st = await stat(m.path).catch((e: Error) => {
        throw new SipprotError(
          'SP_ERR_GEOIP',
          `GEOIP_MMDB ${m.path}: ${e.message}; keeping the current table`,
        );
      });
      if (!opts.force && st.mtimeMs === m.mtimeMs) return null;
      const previous = this.current.meta;
      const next = await tableFromMmdb(m.path, { v4Ranges: previous.v4Ranges, v6Ranges: previous.v6Ranges });
      const at = (opts.now ?? wallClock)();
      this.mmdb = { path: m.path, mtimeMs: next.mtimeMs };
      this.current = {
        table: next.table,
        meta: { ...next.meta, origin: 'mmdb', file: m.path, loadedAt: at, updatedAt: at },
      };
      const warnings = [...next.warnings];
      await this.tell(previous, warnings);
      return { meta: this.current.meta, previous, warnings };
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** The .mmdb this database reads, or null. */
  get mmdbPath(): string | null {
    return this.mmdb?.path ?? null;
  }

  private async tell(previous: GeoMeta, warnings: string[]): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(this, previous);
      } catch (e) {
        warnings.push(`the new table is in place, but applying it failed: ${(e as Error).message}`);
      }
    }
  }

  /** Updates run one at a time, in call order. */
  update(opts: GeoUpdateOptions): Promise<GeoUpdateResult> {
    const run = this.queue.then(() => this.runUpdate(opts));
    this.queue = run.catch(() => {});
    return run;
  }

  private async runUpdate(opts: GeoUpdateOptions): Promise<GeoUpdateResult> {
    const now = opts.now ?? wallClock;
    if (this.stateDir === null) {
      throw new SipprotError('SP_ERR_GEOIP', 'geo-IP update needs STATE_DIR to keep the new table');
    }
    const list = (typeof opts.from === 'string' ? opts.from.split(/[\s,]+/) : [...opts.from]).filter(
      (s) => s !== '',
    );
    if (list.length === 0) {
      throw new SipprotError(
        'SP_ERR_GEOIP',
        'no geo-IP update source: pass --from URL|FILE or set GEOIP_UPDATE_URL',
      );
    }
    const sources: GeoSource[] = [];
    let newest: Date | null = null;
    for (const from of list) {
      const data = await fetchSource(from, opts);
      sources.push({ what: data.what, parsed: await parseSource(data, opts) });
      if (data.modified && (!newest || data.modified > newest)) newest = data.modified;
    }
    const previous = this.current.meta;
    const check = checkGeoUpdate(sources, {
      current: { v4Ranges: previous.v4Ranges, v6Ranges: previous.v6Ranges },
      ...(opts.minRatio !== undefined ? { minRatio: opts.minRatio } : {}),
    });
    if (!check.ok) {
      throw new SipprotError(
        'SP_ERR_GEOIP',
        `geo-IP update refused, keeping the current table: ${check.reason}`,
      );
    }
    const old = this.current.table;
    const table = GeoTable.fromRanges(check.v4 ?? old.toRanges(4), check.v6 ?? old.toRanges(6));
    const warnings = [...check.warnings];
    if (!check.v4) warnings.push('no IPv4 rows in the update: kept the current IPv4 ranges');
    if (!check.v6) warnings.push('no IPv6 rows in the update: kept the current IPv6 ranges');

    const at = now();
    const date = (newest ?? new Date(at * 1000)).toISOString().slice(0, 10);
    const stored: StoredMeta = {
      source: list.join(' '),
      date,
      v4Ranges: table.v4Ranges,
      v6Ranges: table.v6Ranges,
      updatedAt: at,
    };
    const path = GeoDatabase.currentPath(this.stateDir);
    try {
      await mkdir(join(this.stateDir, 'geoip'), { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new SipprotError(
        'SP_ERR_GEOIP',
        `cannot create ${join(this.stateDir, 'geoip')}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    await writeTableFile(path, table, stored);

    // On disk first, then in memory: a crash between the two loads the new table next time.
    this.current = {
      table,
      meta: {
        source: stored.source,
        date,
        v4Ranges: table.v4Ranges,
        v6Ranges: table.v6Ranges,
        origin: 'state',
        file: path,
        loadedAt: at,
        updatedAt: at,
      },
    };
    await this.tell(previous, warnings);
    return { meta: this.current.meta, previous, warnings };
  }
}

/**
 * One-shot update for the CLI when no daemon holds the database: loads what STATE_DIR
 * (or the shipped data) has, updates it, and returns the result. A running daemon
 * should instead call update() on its own GeoDatabase so its table and sets follow.
 */
export async function updateGeoDatabase(
  opts: GeoUpdateOptions & { stateDir: string; shippedPath?: string },
): Promise<GeoUpdateResult> {
  const db = await GeoDatabase.load(opts.stateDir, opts.shippedPath ? { shippedPath: opts.shippedPath } : {});
  return db.update(opts);
}
