/**
 * sipprot's kernel sets as the end-to-end tests read them (root): one `nft -j -i` kept
 * open in the guard's namespace (NftSession), the background watcher of the dynamic sets
 * (SetWatcher), and the parser of nft's JSON.
 *
 * Why one open nft: a fresh `ip netns exec NS nft -j list table ...` per look cost ~24 ms
 * of CPU (16 ms of it in the kernel: fork, exec, setns). The watcher looks 20 times a
 * second in every end-to-end file, ~0.5 of a core taken from the file running beside it
 * on the suite's 2 cores (test/e2e/bruteforce.test.ts: 33 s of CPU in 45 s of wall time,
 * 20 s with this); a line from the open nft costs ~0.5 ms. nft reads the kernel again for
 * every command, so new elements, timeouts and expiries show at once (checked against
 * nft 1.0.6, Debian 12), and `list ruleset` answers with one JSON line even while
 * sipprot's table is absent (the daemon down), where `list table` would answer nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One element of an nftables set: `timeout`/`expires` in seconds, null when it has none. */
export interface SetElement {
  timeout: number | null;
  expires: number | null;
}

/** An `nft -j -i` in one namespace: `ruleset()` is `list ruleset`, one JSON line. */
export class NftSession {
  private nft: ChildProcess | null = null;
  /** The callers waiting for their line, in the order their commands were written. */
  private readonly waiting: Array<(line: string) => void> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ns: string,
    /** An nft that has not answered by then is killed and the waiting get ''. */
    private readonly answerWithinMs = 5_000,
  ) {}

  /** The namespace's ruleset as `nft -j list ruleset` prints it; '' when nft failed. */
  ruleset(): Promise<string> {
    const nft = this.nft ?? this.open();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      nft.stdin?.write('list ruleset\n');
      this.timer ??= setTimeout(() => this.fail(nft), this.answerWithinMs);
    });
  }

  close(): void {
    if (this.nft) this.fail(this.nft);
  }

  private open(): ChildProcess {
    const nft = spawn('ip', ['netns', 'exec', this.ns, 'nft', '-j', '-i'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    nft.stdin?.on('error', () => {}); // written after nft died: its exit answers ''
    // An idle nft never holds the test process open (a session nobody closed); a caller
    // waiting for its line is held by the answer timer.
    nft.unref();
    for (const pipe of [nft.stdin, nft.stdout] as const)
      (pipe as unknown as { unref?: () => void })?.unref?.();
    nft.once('exit', () => this.fail(nft));
    createInterface({ input: nft.stdout! }).on('line', (line) => {
      if (this.nft !== nft) return;
      this.clearTimer();
      this.waiting.shift()?.(line);
      if (this.waiting.length > 0) this.timer = setTimeout(() => this.fail(nft), this.answerWithinMs);
    });
    this.nft = nft;
    return nft;
  }

  /** Ends this nft (the next call starts another) and answers everyone waiting with ''. */
  private fail(nft: ChildProcess): void {
    if (this.nft !== nft) return;
    this.nft = null;
    this.clearTimer();
    nft.kill('SIGKILL');
    for (const resolve of this.waiting.splice(0)) resolve('');
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The elements of sipprot's sets named like `kind` + family (dyn4, dyn4_32, ...) in a listing. */
export function sipprotSet(json: string, kind: string, family?: 4 | 6): Map<string, SetElement> {
  const name = new RegExp(`^${kind}${family ?? '[46]'}(_\\d+)?$`);
  return parseSetElements(json, (set, table) => table === 'sipprot' && name.test(set));
}

/** Elements of the sets in `nft -j` output, optionally only of the named sets. */
export function parseSetElements(
  json: string,
  only?: (set: string, table: string) => boolean,
): Map<string, SetElement> {
  const out = new Map<string, SetElement>();
  if (!json.trim().startsWith('{')) return out;
  const doc = JSON.parse(json) as { nftables: Array<Record<string, unknown>> };
  for (const item of doc.nftables) {
    const set = item.set as { name: string; table: string; elem?: unknown[] } | undefined;
    if (!set || (only && !only(set.name, set.table))) continue;
    for (const e of set.elem ?? []) {
      if (typeof e === 'string') out.set(e, { timeout: null, expires: null });
      else if (e && typeof e === 'object' && 'elem' in e) {
        const el = (e as { elem: { val: unknown; timeout?: number; expires?: number } }).elem;
        out.set(valText(el.val), { timeout: el.timeout ?? null, expires: el.expires ?? null });
      } else if (e && typeof e === 'object') out.set(valText(e), { timeout: null, expires: null });
    }
  }
  return out;
}

function valText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'prefix' in v) {
    const p = (v as { prefix: { addr: string; len: number } }).prefix;
    return `${p.addr}/${p.len}`;
  }
  if (v && typeof v === 'object' && 'range' in v) {
    const [a, b] = (v as { range: [string, string] }).range;
    return `${a}-${b}`;
  }
  return JSON.stringify(v);
}

/**
 * Watches the dynamic sets in the background (every `intervalMs`) and remembers, per
 * address, when it was first and last seen there (an upper bound of when it got there):
 * block latency, and proof that an address (a phone) never appeared, between the
 * assertions as well as at them. Its own NftSession: its looks never queue behind a test's.
 */
export class SetWatcher {
  readonly firstSeen = new Map<string, number>();
  readonly lastSeen = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly session: NftSession;
  private busy = false;
  polls = 0;

  constructor(
    guard: { readonly lab: { readonly ns: { readonly pbx: string } } },
    private readonly intervalMs = 50,
  ) {
    this.session = new NftSession(guard.lab.ns.pbx);
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const json = await this.session.ruleset();
      if (!json) return; // nft failed (the namespace going away): the next tick asks again
      const set = sipprotSet(json, 'dyn');
      // Read after the listing returned: the element was in the kernel by then at the
      // latest, so "answered after firstSeen" is a real leak, never a sampling artefact.
      const now = Date.now() / 1000;
      this.polls++;
      for (const ip of set.keys()) {
        if (!this.firstSeen.has(ip)) this.firstSeen.set(ip, now);
        this.lastSeen.set(ip, now);
      }
    } catch {
      // a torn line from an nft killed mid-answer: the next tick asks again
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.session.close();
  }
}
