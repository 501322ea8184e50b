/**
 * A thread's own CPU priority. On Linux a thread is a task with its own id, and
 * setpriority(PRIO_PROCESS, tid) sets that thread's nice value alone (capture.c does the
 * same for the capture thread, at -10). Node has no gettid: /proc/thread-self names the
 * calling thread's task ("PID/task/TID").
 *
 * Why: in the issue-13 flood at 150k packets/s the store writer thread took 60% of a core
 * beside the main thread's 56%, which waited for a core 41% of the run (bench/RESULTS.md):
 * the writer, which falls behind in a flood by design and catches up afterwards, competed
 * with the judging of packets on this 2-core machine. A nicer writer yields the core when
 * the two contend and runs at full speed when they do not.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The calling thread's task id, or undefined where /proc/thread-self is missing. */
export function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets the calling thread's nice value (-20..19); the rest of the process keeps its own.
 * Raising it needs no privilege; lowering it below the process's needs CAP_SYS_NICE. Best
 * effort: false when the system refused or cannot name the thread (the thread then runs
 * as before, which is correct, only less polite).
 */
export function setThreadNice(nice: number): boolean {
  const tid = threadId();
  if (tid === undefined) return false;
  try {
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
