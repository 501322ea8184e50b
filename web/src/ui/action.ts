/**
 * The one pattern of every button that changes something: mark it busy (buttons disable),
 * run the request, show the outcome as a notice, an error as its message, and always
 * clear busy (and close a dialog) at the end. The tabs used to repeat this try/finally
 * eleven times with small drifts; here it is written once.
 */
import { useCallback, useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import type { NoticeValue } from './common.js';

interface RunOptions {
  /**
   * What an error shows: a notice, or null when the caller shows it elsewhere (an
   * inline field error). Default: the error's message as an error notice.
   */
  onError?(err: unknown): NoticeValue | null;
  /** Runs after success and failure alike (close the confirmation dialog). */
  always?(): void;
}

interface Action<K> {
  /** The key of the change running now (the row's address, or true); null when idle. */
  busy: K | null;
  notice: NoticeValue | null;
  setNotice(n: NoticeValue | null): void;
  /** Runs `work`; the notice it returns (if any) is shown when it succeeds. */
  run(key: K, work: () => Promise<NoticeValue | null | undefined>, opts?: RunOptions): Promise<void>;
}

export function useAction<K = true>(): Action<K> {
  const [busy, setBusy] = useState<K | null>(null);
  const [notice, setNotice] = useState<NoticeValue | null>(null);
  const run = useCallback(
    async (key: K, work: () => Promise<NoticeValue | null | undefined>, opts?: RunOptions) => {
      setBusy(() => key);
      try {
        const done = await work();
        if (done) setNotice(done);
      } catch (err) {
        const shown = opts?.onError ? opts.onError(err) : { kind: 'error' as const, text: messageOf(err) };
        if (shown) setNotice(shown);
      } finally {
        setBusy(null);
        opts?.always?.();
      }
    },
    [],
  );
  return { busy, notice, setNotice, run };
}
