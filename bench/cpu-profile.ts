/**
 * Summary of a V8 .cpuprofile (node --cpu-prof): functions by self time, and by
 * inclusive time (self plus callees, counted once per call path), as percentages of
 * all samples; and the longest stretches without an idle sample (stalls of the event
 * loop) with what ran in them. Run alone: node --import tsx bench/cpu-profile.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

/**
 * The functions on a sample's path, leaf first, each once (a recursive one counted once),
 * named by `key`; memoized per node: a profile has ~10^5 samples over ~10^3 nodes.
 */
export function stackResolver(
  nodes: readonly Pick<ProfileNode, 'id' | 'callFrame' | 'children'>[],
  key: (f: ProfileNode['callFrame']) => string,
): (id: number) => string[] {
  const parent = new Map<number, number>();
  for (const x of nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const byId = new Map(nodes.map((x) => [x.id, x]));
  const stacks = new Map<number, string[]>();
  return (id) => {
    let s = stacks.get(id);
    if (!s) {
      s = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const k = key(byId.get(at)!.callFrame);
        if (!s.includes(k)) s.push(k);
      }
      stacks.set(id, s);
    }
    return s;
  };
}

export interface ProfileSummary {
  self: string[];
  inclusive: string[];
}

function keyOf(f: ProfileNode['callFrame']): string {
  const file = f.url.replace(/^file:\/\/.*?\/(src|bench|node_modules|dist)\//, '$1/');
  // tsx emits each module on one line: the line number says nothing then.
  const where = f.url ? (f.lineNumber > 0 ? `${file}:${f.lineNumber + 1}` : file) : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

export function summarizeProfile(path: string, n: number): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[] };
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const total = p.nodes.reduce((a, x) => a + x.hitCount, 0);
  const self = new Map<string, number>();
  for (const x of p.nodes) self.set(keyOf(x.callFrame), (self.get(keyOf(x.callFrame)) ?? 0) + x.hitCount);
  // Inclusive: each subtree's hits, added to a function only where it is outermost on the path.
  const subtree = new Map<number, number>();
  const sizeOf = (id: number): number => {
    const known = subtree.get(id);
    if (known !== undefined) return known;
    const x = byId.get(id)!;
    let s = x.hitCount;
    for (const c of x.children ?? []) s += sizeOf(c);
    subtree.set(id, s);
    return s;
  };
  const incl = new Map<string, number>();
  const stack: Array<{ id: number; active: Set<string> }> = [{ id: p.nodes[0]!.id, active: new Set() }];
  while (stack.length > 0) {
    const { id, active } = stack.pop()!;
    const x = byId.get(id)!;
    const key = keyOf(x.callFrame);
    let next = active;
    if (!active.has(key)) {
      incl.set(key, (incl.get(key) ?? 0) + sizeOf(id));
      next = new Set(active).add(key);
    }
    for (const c of x.children ?? []) stack.push({ id: c, active: next });
  }
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .filter(([k]) => k !== '(root)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  return { self: fmt(self), inclusive: fmt(incl) };
}

/** Frames every packet passes through in the daemon: not what a stall is about. */
const PLUMBING =
  /^(\(root\)|\(program\)|PcapSession\b|open_live|emit |\(anonymous\) (src|bench|dist)\/[^ ]*(capture\/live|daemon\/inputs)|onFrame )/;

/**
 * Stalls: stretches of consecutive samples without an `(idle)` one (the thread never
 * went back to the event loop's poll), longest first, each with the functions most
 * present in it (inclusive, per-packet plumbing left out). Needs the samples and
 * timeDeltas that `--cpu-prof` and the inspector write.
 */
export function profileStalls(path: string, minMs: number, n = 10): string[] {
  const p = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: ProfileNode[];
    samples?: number[];
    timeDeltas?: number[];
  };
  if (!p.samples || !p.timeDeltas) return [];
  const stackOf = stackResolver(p.nodes, keyOf);
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const runs: Array<{ startMs: number; ms: number; counts: Map<string, number>; samples: number }> = [];
  let t = 0;
  let cur: (typeof runs)[number] | null = null;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i]! / 1000;
    t += dt;
    const node = byId.get(p.samples[i]!)!;
    if (node.callFrame.functionName === '(idle)') {
      if (cur && cur.ms >= minMs) runs.push(cur);
      cur = null;
      continue;
    }
    if (!cur) cur = { startMs: t, ms: 0, counts: new Map(), samples: 0 };
    else cur.ms += dt;
    cur.samples++;
    for (const k of stackOf(node.id)) cur.counts.set(k, (cur.counts.get(k) ?? 0) + 1);
  }
  if (cur && cur.ms >= minMs) runs.push(cur);
  return runs
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n)
    .map((r) => {
      const top = [...r.counts.entries()]
        .filter(([k]) => !PLUMBING.test(k))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([k, c]) => `${k} ${((c / r.samples) * 100).toFixed(0)}%`);
      return `${r.ms.toFixed(0)} ms busy from +${(r.startMs / 1000).toFixed(2)} s: ${top.join(', ')}`;
    });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarizeProfile(process.argv[2]!, Number(process.argv[3] ?? 25));
  console.log('self time:');
  for (const l of s.self) console.log(`  ${l}`);
  console.log('inclusive time:');
  for (const l of s.inclusive) console.log(`  ${l}`);
  const st = profileStalls(process.argv[2]!, 20);
  if (st.length > 0) {
    console.log('longest stretches without idle (≥ 20 ms):');
    for (const l of st) console.log(`  ${l}`);
  }
}
