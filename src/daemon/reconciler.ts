/**
 * One full firewall reconcile at a time, and never a stale one. A reconcile computes the
 * desired kernel state when it starts; a caller that changed config or lists while one was
 * in flight (a reload arriving while the kernel watch rebuilds a flushed table) must not be
 * handed that older result, or its change would reach the kernel only at the next event.
 * So: one run in flight, at most one queued behind it, shared by every caller that arrives
 * meanwhile (a burst of 100 requests costs two runs, not 100).
 */
export type ReconcileRun = (why: string, alsoFor: readonly string[]) => Promise<void>;

export class Reconciler {
  private running: Promise<void> | null = null;
  private queued: { whys: string[]; done: Promise<void> } | null = null;

  constructor(private readonly run: ReconcileRun) {}

  /** Resolves once a reconcile that started after this call has landed. */
  request(why: string): Promise<void> {
    if (this.queued) {
      if (!this.queued.whys.includes(why)) this.queued.whys.push(why);
      return this.queued.done;
    }
    const running = this.running;
    if (!running) return this.start([why]);
    const whys = [why];
    const done = running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.start(whys);
      });
    this.queued = { whys, done };
    return done;
  }

  private start(whys: string[]): Promise<void> {
    const [why, ...alsoFor] = whys;
    const p = this.run(why as string, alsoFor).finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }
}
