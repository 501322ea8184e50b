/**
 * A full garbage collection on demand, for the daemon's start (pipeline.ts warmUp): V8 flags
 * and a fresh context, platform work kept out of the packet pipeline.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * One full garbage collection, at the end of the start: what restore and the warm-up
 * left behind would otherwise be collected during the first attack (a full collection
 * of a heap holding 100k blocks takes tens of ms, all of it on the packet path). Node
 * has no API for it without --expose-gc: the flag is set now and `gc` taken from a
 * fresh context (V8 reads the flag when a context is made; works on Node 20). Returns
 * ms spent (0 when unavailable: the start goes on without it).
 */
export function collectGarbage(): number {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const t = performance.now();
    gc();
    return performance.now() - t;
  } catch {
    return 0;
  }
}
