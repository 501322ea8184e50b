/**
 * The history on SQLite (tables of migration 3): appends, pages, pruning. A page is one
 * statement: an inner walk along the driving filter's index, newest first and at most
 * `scan` rows (`(at, id) < cursor` is an index range: no OFFSET), and an outer filter for
 * the other conditions that stops at `limit`. Only a narrow network or user-agent walk
 * sorts, and only its at most NARROW_MAX rows. When a page comes back short, a second,
 * index-only statement finds the last row the walk looked at, where the next page
 * starts. Statements are built per shape of query and cached: a few dozen at most.
 * The plans are checked in sqlite-history.test.ts, the timings in bench/history.bench.ts.
 */
import type Database from 'better-sqlite3';
import type { HistoryEvent, NewHistoryEvent } from '../core/history/events.js';
import {
  asciiLower,
  DEFAULT_SCAN,
  driverOf,
  type HistoryCursor,
  type HistoryDriver,
  type HistoryPage,
  type HistoryQuery,
  NARROW_MAX,
  type NarrowCounts,
  networkKeys,
  walkStart,
} from '../core/history/query.js';
import { HISTORY, NEW_HISTORY, type Row } from './sqlite-rows.js';
import { storedSubjectKey } from './subject-key.js';

type Stmt = Database.Statement<unknown[], Row>;

const AGENTS = 'SELECT agent FROM history_agents WHERE instr(lower(agent), @userAgent) > 0';
const TIME = 'at >= @since AND at <= @cAt AND (at, id) < (@cAt, @cId)';

/** The inner walk of each driver: `cols` are the columns it yields. */
function walk(driver: HistoryDriver, cols: 'all' | 'keys'): string {
  const order = 'ORDER BY at DESC, id DESC LIMIT @scan';
  const sel = cols === 'all' ? '*' : 'at, id';
  switch (driver) {
    case 'user':
      return `SELECT ${cols === 'all' ? 'h.*' : 'u.at AS at, u.event AS id'}
        FROM history_users u JOIN history h ON h.id = u.event
        WHERE u.user = @user AND u.at >= @since AND u.at <= @cAt AND (u.at, u.event) < (@cAt, @cId)
        ORDER BY u.at DESC, u.event DESC LIMIT @scan`;
    case 'network':
      return `SELECT ${sel} FROM history INDEXED BY history_subject
        WHERE subject_key BETWEEN @lo AND @hi AND ${TIME} ${order}`;
    case 'userAgent':
      return `SELECT ${sel} FROM history INDEXED BY history_agent
        WHERE user_agent IN (${AGENTS}) AND ${TIME} ${order}`;
    case 'subject':
      return `SELECT ${sel} FROM history WHERE subject_key = @subjectKey AND ${TIME} ${order}`;
    case 'country':
      return `SELECT ${sel} FROM history WHERE country = @country AND ${TIME} ${order}`;
    case 'reason':
      return `SELECT ${sel} FROM history WHERE reason = @reason AND ${TIME} ${order}`;
    default:
      return `SELECT ${sel} FROM history WHERE ${TIME} ${order}`;
  }
}

/** The per-row conditions for the filters present (the driver's own included: cheap). */
function rest(q: HistoryQuery): string[] {
  const out: string[] = [];
  if (q.subject !== undefined) out.push('subject = @subject');
  if (q.network !== undefined) out.push('subject_key BETWEEN @lo AND @hi');
  if (q.kinds !== undefined) out.push('kind IN (SELECT value FROM json_each(@kinds))');
  if (q.reason !== undefined) out.push('reason = @reason');
  if (q.country !== undefined) out.push('country = @country');
  // lower() is ASCII-only, as core/history/query.ts's asciiLower: both stores agree.
  if (q.userAgent !== undefined) out.push('instr(lower(user_agent), @userAgent) > 0');
  if (q.user !== undefined)
    out.push(
      'EXISTS (SELECT 1 FROM history_users x WHERE x.user = @user AND x.at = c.at AND x.event = c.id)',
    );
  if (q.actor !== undefined) out.push('actor = @actor');
  return out;
}

export class SqliteHistory {
  private readonly cache = new Map<string, { page: Stmt; position: Stmt }>();
  private readonly st: Record<
    | 'insert'
    | 'insertUser'
    | 'insertAgent'
    | 'pruneEvents'
    | 'pruneUsers'
    | 'pruneAgents'
    | 'countNetwork'
    | 'countAgents',
    Stmt
  >;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string): Stmt => db.prepare<unknown[], Row>(sql);
    const cap = `LIMIT ${NARROW_MAX + 1}`;
    this.st = {
      insert: p(`INSERT INTO history (${NEW_HISTORY.columns}, subject_key) VALUES (${NEW_HISTORY.marks}, ?)`),
      insertUser: p('INSERT OR IGNORE INTO history_users (user, at, event) VALUES (?, ?, ?)'),
      insertAgent: p('INSERT OR IGNORE INTO history_agents (agent) VALUES (?)'),
      pruneEvents: p('DELETE FROM history WHERE at < ?'),
      pruneUsers: p('DELETE FROM history_users WHERE at < ?'),
      pruneAgents: p(
        `DELETE FROM history_agents WHERE NOT EXISTS
           (SELECT 1 FROM history INDEXED BY history_agent WHERE user_agent = agent)`,
      ),
      countNetwork: p(
        `SELECT count(*) AS n FROM (SELECT 1 FROM history INDEXED BY history_subject
           WHERE subject_key BETWEEN @lo AND @hi ${cap})`,
      ),
      countAgents: p(
        `SELECT count(*) AS n FROM (SELECT 1 FROM history INDEXED BY history_agent
           WHERE user_agent IN (${AGENTS}) ${cap})`,
      ),
    };
  }

  /**
   * Appends (inside the caller's transaction), events already bounded by validate.ts. The
   * new id is the statement's last insert rowid, not a RETURNING clause: RETURNING made
   * SQLite keep a statement journal for every insert, ~7 page writes to a temporary file
   * an event (a live block's history row cost the writer thread more than its other four
   * rows together: bench/RESULTS.md, issue 13 "the cost of a block").
   */
  append(events: readonly NewHistoryEvent[]): void {
    for (const e of events) {
      const values = NEW_HISTORY.values(e);
      values.push(storedSubjectKey(e.subject));
      const id = Number(this.st.insert.run(values).lastInsertRowid);
      for (const u of e.users) this.st.insertUser.run(u, e.at, id);
      if (e.userAgent !== null) this.st.insertAgent.run(e.userAgent);
    }
  }

  /** Call inside one read transaction: the counts and the page see the same rows. */
  page(q: HistoryQuery): HistoryPage {
    const params = this.params(q);
    const driver = driverOf(q, this.counts(q, params));
    const conds = rest(q);
    const key = `${driver}|${conds.join('|')}`;
    let st = this.cache.get(key);
    if (!st) {
      const where = conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '';
      st = {
        page: this.db.prepare<unknown[], Row>(
          `SELECT ${HISTORY.select} FROM (${walk(driver, 'all')}) AS c ${where} LIMIT @limit`,
        ),
        position: this.db.prepare<unknown[], Row>(
          `SELECT at, id FROM (${walk(driver, 'keys')}) LIMIT 1 OFFSET @scan - 1`,
        ),
      };
      this.cache.set(key, st);
    }
    const events = st.page.all(params).map((r) => HISTORY.fromRow(r));
    // The walk's order is the page's; sorting the few rows makes it independent of the plan.
    events.sort((a, b) => b.at - a.at || b.id - a.id);
    if (events.length >= q.limit) return { events, next: cursorOf(events[events.length - 1]!) };
    const last = st.position.get(params);
    return { events, next: last ? { at: Number(last.at), id: Number(last.id) } : null };
  }

  /** Deletes what is older than `before`; returns the number of events. */
  prune(before: number): number {
    this.st.pruneUsers.run(before);
    const n = this.st.pruneEvents.run(before).changes;
    if (n > 0) this.st.pruneAgents.run();
    return n;
  }

  private counts(q: HistoryQuery, params: Record<string, unknown>): NarrowCounts {
    const n = (s: Stmt) => Number(s.get(params)!.n);
    const out: NarrowCounts = {};
    if (q.subject !== undefined) return out; // an address drives whatever else is asked
    if (q.network !== undefined) out.network = n(this.st.countNetwork);
    if (q.userAgent !== undefined) out.userAgent = n(this.st.countAgents);
    return out;
  }

  private params(q: HistoryQuery): Record<string, unknown> {
    const c = walkStart(q);
    const range = q.network !== undefined ? networkKeys(q.network) : null;
    return {
      cAt: c.at,
      cId: c.id,
      since: q.since ?? -Number.MAX_VALUE,
      scan: Math.max(1, Math.floor(q.scan ?? DEFAULT_SCAN)),
      limit: Math.max(1, Math.floor(q.limit)),
      subject: q.subject ?? null,
      subjectKey: q.subject !== undefined ? storedSubjectKey(q.subject) : null,
      lo: range?.lo ?? null,
      hi: range?.hi ?? null,
      kinds: q.kinds !== undefined ? JSON.stringify(q.kinds) : null,
      reason: q.reason ?? null,
      country: q.country ?? null,
      userAgent: q.userAgent !== undefined ? asciiLower(q.userAgent) : null,
      user: q.user ?? null,
      actor: q.actor ?? null,
    };
  }
}

function cursorOf(e: HistoryEvent): HistoryCursor {
  return { at: e.at, id: e.id };
}
