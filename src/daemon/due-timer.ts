/**
 * A timer armed for when its work is due, not every N ms (issue 13: an idle daemon was woken
 * 4 times a second by the policy tick and once a second by the webhook queue, with nothing
 * to do either time). The owner says when the next work is due (`next`, epoch seconds;
 * +Infinity: nothing waits) and pokes the timer when something new may be due sooner.
 *
 * - Runs at most once every `minGapMs` while work keeps coming due (a flood's unanswered
 *   challenges come due every millisecond: at 250 ms they are judged as before).
 * - Sleeps at most `maxSleepMs` even with nothing due: the due times are wall-clock, the
 *   timer is monotonic, so a clock set forward is caught up within that bound.
 * - A run that returns a promise is waited for before the next time is asked.
 * - poke() compares two numbers when nothing sooner is due: cheap enough for every frame.
 */
export interface DueTimerOptions {
  /**
   * The work; never rejects (the owner logs its own failures). A promise it returns is waited
   * for (see above); anything else it returns is ignored, so sync work needs no wrapper.
   */
  run(): unknown;
  /** When the next run has work, epoch seconds (+Infinity: none; -Infinity or past: now). */
  next(): number;
  clock(): number;
  minGapMs: number;
  maxSleepMs: number;
  /** Whether the timer alone keeps the process alive (default true). */
  ref?: boolean;
}

export class DueTimer {
  private timer: NodeJS.Timeout | null = null;
  /** The due time the timer is armed for (+Infinity: only the maxSleepMs bound). */
  private armedFor = Number.POSITIVE_INFINITY;
  private lastRun = Number.NEGATIVE_INFINITY;
  private running = false;
  private stopped = true;
  /** Runs so far (tests, status). */
  runs = 0;

  constructor(private readonly o: DueTimerOptions) {}

  start(): void {
    this.stopped = false;
    this.arm(this.o.next());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  /** Something may now be due sooner than the timer is armed for (`due`: that time, if known). */
  poke(due = this.o.next()): void {
    if (due < this.armedFor && !this.running && !this.stopped) this.arm(due);
  }

  private arm(due: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = due;
    const o = this.o;
    // +1 ms: a timer may fire up to a millisecond early against the wall clock it was set by.
    const untilDue =
      due === Number.POSITIVE_INFINITY ? o.maxSleepMs : Math.ceil((due - o.clock()) * 1000) + 1;
    const gap = this.lastRun + o.minGapMs - performance.now();
    const ms = Math.min(Math.max(untilDue, gap, 0), o.maxSleepMs);
    this.timer = setTimeout(this.fire, ms);
    if (o.ref === false) this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    this.lastRun = performance.now();
    this.runs++;
    this.running = true;
    const done = () => {
      this.running = false;
      if (!this.stopped) this.arm(this.o.next());
    };
    let r: unknown;
    try {
      r = this.o.run();
    } catch (e) {
      done(); // a throw goes on to the daemon's handler; the timer keeps its schedule
      throw e;
    }
    if (r instanceof Promise) r.then(done, done);
    else done();
  };
}
