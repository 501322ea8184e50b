/**
 * FakeStore: the Store in memory, for unit tests (API, notify, daemon). Held to the same
 * contract suite as SqliteStore (store.contract.ts), validates with the same functions
 * (validate.ts) and summarises with the same SummaryBuilder, so a test on the fake means
 * what it would mean on SQLite. Values are cloned in and out, as a database would.
 */
import { SipprotError } from '../core/errors.js';
import type { NewHistoryEvent } from '../core/history/events.js';
import type { HistoryPage, HistoryQuery } from '../core/history/query.js';
import type {
  AttackRecord,
  AttackSummary,
  NewMail,
  NewWebhook,
  OutboxMail,
  OutboxWebhook,
  Recipient,
  SessionData,
} from '../core/records.js';
import type { BlockRecord, Decision } from '../core/types.js';
import type {
  AttackQuery,
  BlockCounts,
  BlockPage,
  BlockPageQuery,
  BlockQuery,
  DecisionQuery,
  PruneRequest,
  PruneResult,
  Store,
  StoreBatch,
  SummaryQuery,
} from '../ports/store.js';
import { pageOf } from './block-page.js';
import { FakeHistory } from './history.fake.js';
import { FakeMailOutbox } from './mail.fake.js';
import { SummaryBuilder } from './summary.js';
import {
  assertRows,
  assertTime,
  checkBatch,
  checkBlock,
  checkHistory,
  checkHistoryQuery,
  normalizeEmail,
  normalizeMail,
  normalizeName,
  normalizeWebhook,
} from './validate.js';
import { FakeWebhookOutbox } from './webhooks.fake.js';

interface Seq<T> {
  seq: number;
  value: T;
}

/**
 * The Store in memory: the fake unit tests use, held to the same contract as SqliteStore
 * (store.contract.ts). Values are cloned in and out, as a database would.
 */
export class FakeStore implements Store {
  private readonly blocks = new Map<string, BlockRecord>();
  private readonly stats = new Map<string, { times: number; lastAt: number }>();
  private decisionLog: Array<Seq<Decision>> = [];
  private attackLog: Array<Seq<AttackRecord>> = [];
  private readonly historyLog = new FakeHistory();
  private readonly hooks = new FakeWebhookOutbox();
  private readonly recipients = new Map<string, Recipient>();
  private readonly mail = new FakeMailOutbox();
  private readonly settings = new Map<string, string>();
  private readonly sessions = new Map<string, { data: string; expiresAt: number }>();
  private seq = 0;
  private closed = false;

  async check(): Promise<void> {
    this.open();
  }

  async upsertBlock(rec: BlockRecord): Promise<void> {
    this.open();
    this.putBlock(rec);
  }

  async getBlock(ip: string): Promise<BlockRecord | null> {
    this.open();
    const b = this.blocks.get(ip);
    return b ? clone(b) : null;
  }

  async listBlocks(q: BlockQuery = {}): Promise<BlockRecord[]> {
    this.open();
    const out = [...this.blocks.values()].filter(
      (b) =>
        (!q.permanentOnly || b.expiresAt === null) &&
        (q.activeAt === undefined || b.expiresAt === null || b.expiresAt > q.activeAt),
    );
    out.sort((a, b) => b.blockedAt - a.blockedAt || cmp(a.ip, b.ip));
    return out.map(clone);
  }

  async blocksInForce(activeAt: number): Promise<Array<Pick<BlockRecord, 'ip' | 'expiresAt'>>> {
    this.open();
    const out: Array<Pick<BlockRecord, 'ip' | 'expiresAt'>> = [];
    for (const b of this.blocks.values()) {
      if (b.expiresAt === null || b.expiresAt > activeAt) out.push({ ip: b.ip, expiresAt: b.expiresAt });
    }
    return out;
  }

  async *blocksInForceChunks(
    activeAt: number,
    rows: number,
  ): AsyncGenerator<Array<Pick<BlockRecord, 'ip' | 'expiresAt'>>> {
    assertRows(rows);
    const all = await this.blocksInForce(activeAt);
    for (let i = 0; i < all.length; i += rows) yield all.slice(i, i + rows);
  }

  async pageBlocks(q: BlockPageQuery): Promise<BlockPage> {
    this.open();
    assertTime('activeAt', q.activeAt);
    const page = pageOf(this.blocks.values(), q);
    return { ...page, blocks: page.blocks.map(clone) };
  }

  async deleteBlock(ip: string): Promise<boolean> {
    this.open();
    return this.blocks.delete(ip);
  }

  async expireBlocks(now: number): Promise<BlockRecord[]> {
    this.open();
    assertTime('now', now);
    const gone = [...this.blocks.values()].filter((b) => b.expiresAt !== null && b.expiresAt <= now);
    gone.sort((a, b) => (a.expiresAt ?? 0) - (b.expiresAt ?? 0) || cmp(a.ip, b.ip));
    for (const b of gone) this.blocks.delete(b.ip);
    return gone.map(clone);
  }

  async blockCounts(at: number): Promise<BlockCounts> {
    this.open();
    let permanent = 0;
    let temporary = 0;
    for (const b of this.blocks.values()) {
      if (b.expiresAt === null) permanent++;
      else if (b.expiresAt > at) temporary++;
    }
    return { permanent, temporary };
  }

  async timesBlocked(ip: string): Promise<number> {
    this.open();
    return this.stats.get(ip)?.times ?? 0;
  }

  async allTimesBlocked(): Promise<Map<string, number>> {
    this.open();
    return new Map([...this.stats].map(([ip, s]) => [ip, s.times]));
  }

  async incrementTimesBlocked(ip: string, at: number): Promise<number> {
    this.open();
    return this.bump(ip, at);
  }

  async recordDecision(d: Decision): Promise<void> {
    this.open();
    assertTime('decision.at', d.at);
    this.decisionLog.push({ seq: ++this.seq, value: clone(d) });
  }

  async decisions(q: DecisionQuery): Promise<Decision[]> {
    this.open();
    const hits = this.decisionLog.filter(
      (e) => inRange(e.value.at, q) && (q.ip === undefined || e.value.ip === q.ip),
    );
    return newestFirst(hits, q.limit);
  }

  async recordAttack(a: AttackRecord): Promise<void> {
    this.open();
    assertTime('attack.at', a.at);
    this.attackLog.push({ seq: ++this.seq, value: clone(a) });
  }

  async attacks(q: AttackQuery): Promise<AttackRecord[]> {
    this.open();
    return newestFirst(
      this.attackLog.filter((e) => inRange(e.value.at, q)),
      q.limit,
    );
  }

  async attackSummary(q: SummaryQuery): Promise<AttackSummary> {
    this.open();
    const s = new SummaryBuilder(q);
    for (const e of oldestFirst(this.attackLog.filter((x) => inRange(x.value.at, q)))) s.addAttack(e);
    for (const e of oldestFirst(this.decisionLog.filter((x) => inRange(x.value.at, q)))) s.addDecision(e);
    return s.result();
  }

  async recordHistory(events: NewHistoryEvent[]): Promise<void> {
    this.open();
    this.historyLog.append(checkHistory(events));
  }

  async history(q: HistoryQuery): Promise<HistoryPage> {
    this.open();
    return this.historyLog.page(checkHistoryQuery(q));
  }

  async commit(batch: StoreBatch): Promise<void> {
    this.open();
    const history = checkBatch(batch);
    for (const b of batch.blocks ?? []) this.putBlock(b);
    for (const ip of batch.deleteBlocks ?? []) this.blocks.delete(ip);
    for (const i of batch.incrementTimesBlocked ?? []) this.bump(i.ip, i.at);
    for (const d of batch.decisions ?? []) this.decisionLog.push({ seq: ++this.seq, value: clone(d) });
    for (const a of batch.attacks ?? []) this.attackLog.push({ seq: ++this.seq, value: clone(a) });
    this.historyLog.append(history);
  }

  async listRecipients(): Promise<Recipient[]> {
    this.open();
    return [...this.recipients.values()].map(clone);
  }

  async addRecipient(email: string, name?: string | null): Promise<Recipient> {
    this.open();
    const e = normalizeEmail(email);
    const n = normalizeName(name);
    const key = e.toLowerCase();
    const existing = this.recipients.get(key);
    const r: Recipient = existing ? { email: existing.email, name: n } : { email: e, name: n };
    this.recipients.set(key, r);
    return clone(r);
  }

  async removeRecipient(email: string): Promise<boolean> {
    this.open();
    return this.recipients.delete(String(email).trim().toLowerCase());
  }

  async enqueueMail(m: NewMail): Promise<number> {
    this.open();
    return this.mail.enqueue(normalizeMail(m));
  }

  async dueMail(now: number, limit?: number): Promise<OutboxMail[]> {
    this.open();
    return this.mail.dueAt(now, limit);
  }

  async getMail(id: number): Promise<OutboxMail | null> {
    this.open();
    return this.mail.get(id);
  }

  async markMailSent(id: number, at: number): Promise<boolean> {
    this.open();
    return this.mail.markSent(id, at);
  }

  async markMailFailed(id: number, at: number, error: string, next: number | null): Promise<boolean> {
    this.open();
    return this.mail.markFailed(id, at, error, next);
  }

  async enqueueWebhooks(items: NewWebhook[]): Promise<number[]> {
    this.open();
    return this.hooks.enqueue(items.map(normalizeWebhook));
  }

  async dueWebhooks(now: number, limit?: number): Promise<OutboxWebhook[]> {
    this.open();
    return this.hooks.dueAt(now, limit);
  }

  async markWebhookSent(id: number, at: number): Promise<boolean> {
    this.open();
    return this.hooks.markSent(id, at);
  }

  async markWebhookFailed(id: number, at: number, error: string, next: number | null): Promise<boolean> {
    this.open();
    return this.hooks.markFailed(id, at, error, next);
  }

  async pendingCounts(): Promise<{ mail: number; webhooks: number }> {
    this.open();
    return { mail: this.mail.pending(), webhooks: this.hooks.pending() };
  }

  async getSetting(key: string): Promise<string | null> {
    this.open();
    return this.settings.get(key) ?? null;
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    this.open();
    if (value === null) this.settings.delete(key);
    else this.settings.set(key, String(value));
  }

  async createSession(id: string, data: SessionData, expiresAt: number): Promise<void> {
    this.open();
    assertTime('expiresAt', expiresAt);
    this.sessions.set(id, { data: JSON.stringify(data), expiresAt });
  }

  async getSession(id: string, now: number): Promise<SessionData | null> {
    this.open();
    const s = this.sessions.get(id);
    if (!s || now >= s.expiresAt) return null;
    return JSON.parse(s.data) as SessionData;
  }

  async deleteSession(id: string): Promise<boolean> {
    this.open();
    return this.sessions.delete(id);
  }

  async prune(req: PruneRequest): Promise<PruneResult> {
    this.open();
    const before = { d: this.decisionLog.length, a: this.attackLog.length };
    this.decisionLog = this.decisionLog.filter((e) => e.value.at >= req.historyBefore);
    this.attackLog = this.attackLog.filter((e) => e.value.at >= req.historyBefore);
    let sessions = 0;
    for (const [id, s] of [...this.sessions]) {
      if (req.now >= s.expiresAt) {
        this.sessions.delete(id);
        sessions++;
      }
    }
    return {
      decisions: before.d - this.decisionLog.length,
      attacks: before.a - this.attackLog.length,
      history: this.historyLog.prune(req.historyBefore),
      mail: this.mail.pruneBefore(req.historyBefore),
      webhooks: this.hooks.pruneBefore(req.historyBefore),
      sessions,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private open(): void {
    if (this.closed) throw new SipprotError('SP_ERR_STORE', 'the state store is closed');
  }

  private putBlock(rec: BlockRecord): void {
    checkBlock(rec);
    this.blocks.set(rec.ip, clone(rec));
  }

  private bump(ip: string, at: number): number {
    const s = this.stats.get(ip) ?? { times: 0, lastAt: at };
    s.times++;
    s.lastAt = at;
    this.stats.set(ip, s);
    return s.times;
  }
}

function inRange(at: number, q: { from: number; to: number }): boolean {
  return at >= q.from && at < q.to;
}

function newestFirst<T extends { at: number }>(hits: Array<Seq<T>>, limit?: number): T[] {
  const sorted = [...hits].sort((a, b) => b.value.at - a.value.at || b.seq - a.seq);
  return (limit === undefined ? sorted : sorted.slice(0, Math.max(0, limit))).map((e) => clone(e.value));
}

function oldestFirst<T extends { at: number }>(hits: Array<Seq<T>>): T[] {
  return [...hits].sort((a, b) => a.value.at - b.value.at || a.seq - b.seq).map((e) => e.value);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}
