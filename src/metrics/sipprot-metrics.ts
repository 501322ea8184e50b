/**
 * Every metric sipprot exports on /metrics (issue 15 item 3; README "Metrics" lists them,
 * packaging/grafana-dashboard.json graphs them). Two kinds of sources:
 * - pushed on the live path through small, allocation-free calls: frames (capture
 *   latency), SIP messages by method and answer class, decisions by action and reason,
 *   alerts, block latency, webhook deliveries;
 * - read at scrape time from parts that already count (`MetricsSources`, metrics-sources.ts): libpcap and HEP
 *   counters, the engine's detection counters, nft's drop counters per set, blocks held by
 *   origin, list sizes, mail and webhook queues, event-loop delay, the process.
 * Label values are bounded: SIP methods outside the RFC list become "other", answer codes
 * become their class.
 */
import { RULES } from '../core/types.js';
import type { MetricsSources } from './metrics-sources.js';
import { Counter, Gauge, Histogram, observeInto, Registry, type Value } from './registry.js';

/** The methods of RFC 3261 and its extensions; anything else a scanner sends is "other". */
const METHODS = [
  'REGISTER',
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'PRACK',
  'UPDATE',
  'MESSAGE',
  'REFER',
] as const;
const METHOD_NAMES: readonly string[] = [...METHODS, 'other'];
const METHOD_INDEX = new Map<string, number>(METHODS.map((m, i) => [m, i]));
const OTHER = METHODS.length;
/** 1xx…6xx, then "other" (no status or out of range). */
const CLASSES = 7;
const OTHER_CLASS = 6;

/** Seconds: 100 µs to 5 s (capture and blocks are sub-millisecond when healthy). */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export class SipprotMetrics {
  readonly registry = new Registry();
  private readonly r = this.registry;
  private readonly frames = this.r.add(
    new Histogram(
      'sipprot_capture_latency_seconds',
      'Time from a frame’s capture timestamp to the decoder (capture ring and event-loop wait)',
      LATENCY_BUCKETS,
    ),
  );
  private readonly frameSeries = this.frames.labels();
  private readonly sip = this.r.add(
    new Counter('sipprot_sip_messages_total', 'SIP messages decoded, by method and answer class', [
      'kind',
      'method',
      'class',
    ]),
  );
  /** Series by method index (METHOD_NAMES), made at first use. */
  private readonly requests: (Value | undefined)[] = [];
  /** Series by method index × CLASSES + answer class (1xx…6xx, other). */
  private readonly answers: (Value | undefined)[] = [];
  private readonly decisions = this.r.add(
    new Counter('sipprot_decisions_total', 'Decisions carried out, by action and reason', [
      'action',
      'reason',
    ]),
  );
  /** `decisions`' series by action, then reason. */
  private readonly decisionSeries = new Map<string, Map<string, Value>>();
  private readonly alerts = this.r.add(
    new Counter('sipprot_alerts_total', 'Alerts raised (breach, distributed guessing, watched call)', [
      'kind',
    ]),
  );
  private readonly blockLatency = this.r.add(
    new Histogram(
      'sipprot_block_latency_seconds',
      'Time from the packet that decided a block to the block in the kernel',
      LATENCY_BUCKETS,
    ),
  );
  private readonly webhooks = this.r.add(
    new Counter('sipprot_webhook_deliveries_total', 'Webhook deliveries by result', ['result']),
  );

  constructor(private readonly src: MetricsSources) {
    this.defineCollected();
  }

  /** A frame reached the decoder; `at` is its capture time, `now` the wall clock (epoch s). */
  frame(at: number, now: number): void {
    observeInto(this.frameSeries, this.frames.bounds, now - at);
  }

  /** A decoded SIP message: requests by method, answers by the method they answer and class. */
  sipMessage(kind: 'request' | 'response', method: string, status: number | null): void {
    // Called for every message of a flood: a number picks the series, no key is built.
    const m = METHOD_INDEX.get(method) ?? OTHER;
    if (kind === 'request') {
      const v = this.requests[m] ?? this.requestSeries(m);
      v.value++;
      return;
    }
    const cls = status !== null && status >= 100 && status < 700 ? Math.floor(status / 100) - 1 : OTHER_CLASS;
    const v = this.answers[m * CLASSES + cls] ?? this.answerSeries(m, cls);
    v.value++;
  }

  private requestSeries(m: number): Value {
    const v = this.sip.labels('request', METHOD_NAMES[m]!, '');
    this.requests[m] = v;
    return v;
  }

  private answerSeries(m: number, cls: number): Value {
    const v = this.sip.labels('response', METHOD_NAMES[m]!, cls === OTHER_CLASS ? 'other' : `${cls + 1}xx`);
    this.answers[m * CLASSES + cls] = v;
    return v;
  }

  decided(ds: ReadonlyArray<{ action: string; reason: string }>): void {
    for (const d of ds) {
      // One lookup a decision, no label key joined (a flood makes tens of thousands a second).
      let byReason = this.decisionSeries.get(d.action);
      if (!byReason) {
        byReason = new Map();
        this.decisionSeries.set(d.action, byReason);
      }
      let v = byReason.get(d.reason);
      if (!v) {
        v = this.decisions.labels(d.action, d.reason);
        byReason.set(d.reason, v);
      }
      v.value++;
    }
  }

  alert(kind: string): void {
    this.alerts.labels(kind).value++;
  }

  blocked(seconds: number): void {
    this.blockLatency.observe(Math.max(0, seconds));
  }

  webhook(result: 'sent' | 'failed' | 'abandoned', n = 1): void {
    this.webhooks.labels(result).value += n;
  }

  render(): Promise<string> {
    return this.registry.render();
  }

  private defineCollected(): void {
    this.collectPath();
    this.collectState();
    this.collectProtection();
    this.collectStoreWriter();
    this.collectProcess();
  }

  /**
   * Does sipprot protect as promised: each part's state, one overall gauge, the failure
   * counters, and OBSERVE (a rule in observe mode blocks nothing: 1 per observed rule).
   */
  private collectProtection(): void {
    const part = this.gauge(
      'sipprot_protection_up',
      '1 when the part protection depends on works, 0 when not',
      ['part'],
    );
    const state = this.gauge(
      'sipprot_protection_state',
      '1 when every part works (kernel rules, firewall sync, store, capture), 0 when protection is lost or degraded',
    );
    const fw = this.counter(
      'sipprot_firewall_sync_failures_total',
      'Firewall changes the kernel refused (stage change, each answered by a rebuild) and rebuilds that failed (stage reconcile)',
      ['stage'],
    );
    const store = this.counter(
      'sipprot_store_write_failures_total',
      'Store writes (decision commits) that failed',
    );
    const observe = this.gauge(
      'sipprot_observe_mode',
      '1 when the rule is in OBSERVE mode (reported as "would block", never blocked), 0 when enforced',
      ['rule'],
    );
    const enforcing = this.gauge(
      'sipprot_enforcing',
      '0 when OBSERVE=all (sipprot blocks nothing it detects), 1 otherwise',
    );
    this.r.onCollect(() => {
      const p = this.src.protection?.();
      if (p) {
        let all = true;
        for (const [k, ok] of Object.entries(p.up)) {
          part.set(ok ? 1 : 0, k);
          all &&= ok;
        }
        state.set(all ? 1 : 0);
        fw.set(p.firewallFailures.change, 'change');
        fw.set(p.firewallFailures.reconcile, 'reconcile');
        store.set(p.storeFailures);
      }
      const o = this.src.observe?.() ?? [];
      const everything = o.includes('all');
      for (const rule of RULES) observe.set(everything || o.includes(rule) ? 1 : 0, rule);
      enforcing.set(everything ? 0 : 1);
    });
  }

  /** What waits for the store writer thread in a flood, and the rows it shed over its budget. */
  private collectStoreWriter(): void {
    const backlog = this.gauge(
      'sipprot_store_backlog_bytes',
      'Store rows waiting for the writer thread, bytes (stat: now, peak since start, budget)',
      ['stat'],
    );
    const shed = this.counter(
      'sipprot_store_rows_shed_total',
      'Rows left out while the writer backlog was over budget (history first; never a block)',
      ['kind'],
    );
    this.r.onCollect(() => {
      const w = this.src.writer?.();
      if (!w) return;
      backlog.set(w.bytes, 'now');
      backlog.set(w.peakBytes, 'peak');
      backlog.set(w.budgetBytes, 'budget');
      for (const [kind, n] of Object.entries(w.shed)) shed.set(n, kind);
    });
  }

  private gauge(name: string, help: string, labels: string[] = []): Gauge {
    return this.r.add(new Gauge(name, help, labels));
  }

  private counter(name: string, help: string, labels: string[] = []): Counter {
    return this.r.add(new Counter(name, help, labels));
  }

  /** The packet path: capture, HEP, decoding, detection, nft's drops. */
  private collectPath(): void {
    const captured = this.counter('sipprot_capture_packets_total', 'Frames libpcap received on INTERFACES');
    const dropped = this.counter('sipprot_capture_dropped_total', 'Frames lost before sipprot read them', [
      'where',
    ]);
    const nice = this.gauge(
      'sipprot_capture_thread_nice',
      'Nice of the capture thread (stat: now, wanted); now above wanted: the kernel refused it',
      ['stat'],
    );
    const hep = this.counter('sipprot_hep_packets_total', 'HEPv3 packets received on HEP_LISTEN');
    const hepErrors = this.counter('sipprot_hep_errors_total', 'HEP socket errors');
    const sipTotal = this.counter('sipprot_sip_decoded_total', 'SIP messages decoded (capture and HEP)');
    const detection = this.counter('sipprot_detection_events_total', 'What detection counted', ['kind']);
    const verdicts = this.counter('sipprot_verdicts_total', 'Verdicts of the detection rules', ['rule']);
    const tracked = this.gauge('sipprot_tracked_addresses', 'Remote addresses detection keeps state for');
    const dropPackets = this.counter(
      'sipprot_dropped_packets_total',
      'Packets dropped by sipprot’s nftables rules',
      ['set'],
    );
    const dropBytes = this.counter(
      'sipprot_dropped_bytes_total',
      'Bytes dropped by sipprot’s nftables rules',
      ['set'],
    );
    this.r.onCollect(async () => {
      const cap = this.src.capture();
      if (cap) {
        captured.set(cap.received);
        dropped.set(cap.dropped, 'kernel');
        dropped.set(cap.ifDropped, 'interface');
        dropped.set(cap.ringDrops, 'ring');
        if (cap.priority) {
          nice.set(cap.priority.nice, 'now');
          nice.set(cap.priority.wanted, 'wanted');
        }
      }
      const h = this.src.hep();
      if (h) {
        hep.set(h.received);
        hepErrors.set(h.errors);
      }
      sipTotal.set(this.src.sipMessages());
      const d = this.src.detection();
      for (const k of ['failures', 'challenges', 'probes', 'blockedPackets', 'renewals'] as const) {
        detection.set(d[k], KIND[k]);
      }
      for (const [rule, n] of Object.entries(d.verdicts)) verdicts.set(n, rule);
      tracked.set(d.trackedAddresses);
      for (const [set, v] of Object.entries((await this.src.drops()) ?? {})) {
        dropPackets.set(v.packets, set);
        dropBytes.set(v.bytes, set);
      }
    });
  }

  /** What is blocked and waiting: blocks by set and origin, lists, countries, feeds, queues. */
  private collectState(): void {
    const active = this.gauge(
      'sipprot_blocks_active',
      'Addresses and networks blocked now, by set and origin',
      ['set', 'origin'],
    );
    const lists = this.gauge('sipprot_list_entries', 'Entries of the allow and deny lists', ['list']);
    const countries = this.gauge('sipprot_blocked_countries', 'Countries in BLOCKED_COUNTRIES');
    const feedOk = this.gauge(
      'sipprot_feed_up',
      '1 when the feed’s last download was taken, 0 when it was not',
      ['feed'],
    );
    const feedLast = this.gauge(
      'sipprot_feed_last_success_timestamp_seconds',
      'When the feed’s last download was taken',
      ['feed'],
    );
    const queue = this.gauge('sipprot_queue_pending', 'Notices waiting to be delivered', ['queue']);
    this.r.onCollect(async () => {
      const b = this.src.blocks();
      const l = this.src.lists();
      const cn = this.src.countries();
      active.set(b.local, 'dynamic', 'local');
      active.set(b.peer, 'dynamic', 'peer');
      active.set(b.permanent, 'dynamic', 'threshold');
      active.set(l.deny, 'deny', 'deny-list');
      active.set(cn.networks, 'country', 'country');
      lists.set(l.allow, 'allow');
      lists.set(l.deny, 'deny');
      countries.set(cn.blocked);
      // A feed's entries are blocks of set "feed", origin its name (they sum to the feed sets).
      for (const f of this.src.feeds?.() ?? []) {
        active.set(f.entries, 'feed', f.name);
        feedOk.set(f.ok ? 1 : 0, f.name);
        if (f.lastSuccess !== null) feedLast.set(Math.round(f.lastSuccess), f.name);
      }
      const q = await this.src.queues();
      queue.set(q.mail, 'mail');
      queue.set(q.webhooks, 'webhooks');
    });
  }

  /** The process: event-loop delay, memory, CPU, start time. */
  private collectProcess(): void {
    const lag = this.gauge('sipprot_event_loop_lag_seconds', 'Event-loop delay over the last 10 s', ['stat']);
    const lagMax = this.gauge('sipprot_event_loop_lag_max_seconds', 'Worst event-loop delay since start');
    const rss = this.gauge('process_resident_memory_bytes', 'Resident memory size in bytes');
    const heap = this.gauge('nodejs_heap_used_bytes', 'V8 heap in use, bytes');
    const cpu = this.counter('process_cpu_seconds_total', 'User and system CPU time spent, seconds');
    const started = this.gauge(
      'process_start_time_seconds',
      'Start time of the process since the epoch, seconds',
    );
    started.set(Math.round(Date.now() / 1000 - process.uptime()));
    this.r.onCollect(() => {
      const ll = this.src.loopLag();
      if (ll) {
        lag.set(ll.p50 / 1000, 'p50');
        lag.set(ll.p99 / 1000, 'p99');
        lag.set(ll.max / 1000, 'max');
        lagMax.set(ll.maxSinceStart / 1000);
      }
      const mem = process.memoryUsage();
      rss.set(mem.rss);
      heap.set(mem.heapUsed);
      const u = process.cpuUsage();
      cpu.set((u.user + u.system) / 1e6);
    });
  }
}

const KIND: Record<'failures' | 'challenges' | 'probes' | 'blockedPackets' | 'renewals', string> = {
  failures: 'failed-attempt',
  challenges: 'challenge',
  probes: 'probe',
  blockedPackets: 'blocked-packet',
  renewals: 'block-renewal',
};
