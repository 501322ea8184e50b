/**
 * Store.pageBlocks on SQLite: one page of the blocks in force, filtered and ordered in SQL
 * as core/block-view.ts defines it (block-page.ts is the same in memory; the contract holds
 * both to it), so the live view of a flood's 100k–1M blocks reads 100 rows, not all of them.
 *
 * Cost (no index serves these orders, and none is added: every block written would pay
 * for it): a first page of 100k blocks ~25 ms, its counts ~20 ms, a search over them
 * ~80–120 ms; 1M blocks ~150 ms, ~160 ms and ~0.5–0.6 s (2-core EPYC guest, quiet). By
 * address (core/block-view.ts's address order through a JS function on this connection: the
 * primary key's text order is not it) a first page of 100k ~26–48 ms, of 1M ~0.3–0.6 s
 * (bench/RESULTS.md "Address order in the live view"). The daemon runs it on a thread of its
 * own (daemon/queue-writer.ts).
 *
 * Statements are made per shape (key, direction, keyset, search, phones): at most 96, kept.
 * Column names come from the fixed map below, never from the request.
 */
import type Database from 'better-sqlite3';
import { addressOrderKey, asciiLower, type BlockSortKey, NEVER } from '../core/block-view.js';
import type { BlockPage, BlockPageQuery } from '../ports/store.js';
import { BLOCKS, blockFromColumns } from './sqlite-rows.js';

const ORDER: Record<BlockSortKey, string> = {
  blockedAt: 'blocked_at',
  ip: 'sipprot_address_order(ip)',
  country: "COALESCE(country, '')",
  reason: 'reason',
  attempts: 'attempts',
  expiresAt: `COALESCE(expires_at, ${NEVER})`,
};

/** The keyset's value as the sort compares it (an address by its order key, as the column). */
const VALUE = (key: BlockSortKey) => (key === 'ip' ? 'sipprot_address_order(@v)' : '@v');

const IN_FORCE = '(expires_at IS NULL OR expires_at > @at)';
/** Contained in a user name: the JSON text first (cheap), then each name (exact). */
const TEXT = `(instr(lower(ip), @t) OR instr(lower(COALESCE(country, '')), @t)
  OR instr(lower(COALESCE(user_agent, '')), @t) OR instr(lower(reason), @t)
  OR reason IN (SELECT value FROM json_each(@reasons))
  OR (instr(lower(users), @t) AND EXISTS (SELECT 1 FROM json_each(blocks.users) WHERE instr(lower(value), @t))))`;

type Stmt = Database.Statement<unknown[], unknown[]>;

export class SqliteBlockPages {
  private readonly made = new Map<string, Stmt>();

  constructor(private readonly db: Database.Database) {
    // core/block-view.ts's address order, the same function the fake and the UI sort by.
    db.function('sipprot_address_order', { deterministic: true }, (ip: unknown) =>
      addressOrderKey(String(ip)),
    );
  }

  page(q: BlockPageQuery): BlockPage {
    const text = asciiLower(q.filter?.text ?? '');
    const phones = q.filter?.phonesOnly === true;
    const params: Record<string, unknown> = { at: q.activeAt };
    if (text !== '') {
      params.t = text;
      params.reasons = JSON.stringify(q.filter?.textReasons ?? []);
    }
    const where = `${IN_FORCE}${text !== '' ? ` AND ${TEXT}` : ''}${phones ? ' AND misconfigured_phone = 1' : ''}`;
    return this.db.transaction((): BlockPage => {
      let blocks: BlockPage['blocks'] = [];
      let more = false;
      if (q.limit > 0) {
        const rows = this.rows(q, where, text !== '', phones).all({
          ...params,
          limit: q.limit + 1,
          ...(q.after ? { v: q.after.value, ip: q.after.ip } : {}),
        });
        more = rows.length > q.limit;
        blocks = rows.slice(0, q.limit).map(blockFromColumns);
      }
      const counts = q.count ? this.counts(where, params, text !== '' || phones) : null;
      return { blocks, more, counts };
    })();
  }

  private rows(q: BlockPageQuery, where: string, text: boolean, phones: boolean): Stmt {
    const { key, dir } = q.sort;
    return this.stmt(`${key}:${dir}:${q.after ? 1 : 0}:${text ? 1 : 0}:${phones ? 1 : 0}`, () => {
      const col = ORDER[key];
      const op = dir === 'asc' ? '>' : '<';
      const v = VALUE(key);
      const after = q.after ? ` AND (${col} ${op} ${v} OR (${col} = ${v} AND ip > @ip))` : '';
      const order = `ORDER BY ${col} ${dir === 'asc' ? 'ASC' : 'DESC'}, ip ASC`;
      // By address, the sort keeps only (key, ip, rowid) and the page's rows are read after:
      // the whole rows in its sorter cost ~3x when addresses come in rising order (124 → 43 ms
      // for 100k, descending; bench/RESULTS.md "Address order in the live view").
      if (key === 'ip') {
        return `SELECT ${BLOCKS.columns} FROM blocks WHERE rowid IN
          (SELECT rowid FROM blocks WHERE ${where}${after} ${order} LIMIT @limit) ${order}`;
      }
      return `SELECT ${BLOCKS.columns} FROM blocks WHERE ${where}${after} ${order} LIMIT @limit`;
    });
  }

  private counts(where: string, params: Record<string, unknown>, filtered: boolean): BlockPage['counts'] {
    const all = this.stmt(
      'count',
      () => `SELECT count(*), COALESCE(sum(misconfigured_phone), 0) FROM blocks WHERE ${IN_FORCE}`,
    );
    const [inForce, phones] = all.get({ at: params.at }) as [number, number];
    if (!filtered) return { inForce, matched: inForce, phones };
    const m = this.stmt(`count:${where}`, () => `SELECT count(*) FROM blocks WHERE ${where}`);
    const [matched] = m.get(params) as [number];
    return { inForce, matched, phones };
  }

  /** The statement of this shape, prepared the first time it is asked (`sql` only then). */
  private stmt(id: string, sql: () => string): Stmt {
    let st = this.made.get(id);
    if (!st) {
      st = this.db.prepare(sql()).raw(true) as unknown as Stmt;
      this.made.set(id, st);
    }
    return st;
  }
}
