/**
 * An HTTP answer's body read with a size cap counted as bytes arrive, for every adapter that
 * downloads (shared blocklists: 32 MiB, geo-IP updates: 64 MiB): a server that announces too
 * much is refused before a byte is read, one that lies about Content-Length or never ends
 * costs at most the cap, and a body shorter than it announced (a broken connection the server
 * closed cleanly) is caught. What went wrong is a value: each caller words it under its own
 * error code (SP_ERR_FEED, SP_ERR_GEOIP).
 */

export type BodyProblem =
  /** Content-Length above the cap: nothing was read. */
  | { kind: 'declared-too-big'; declared: number }
  /** The cap was passed while reading (the rest was cancelled). */
  | { kind: 'too-big' }
  /** The stream failed after `size` bytes (a timeout's abort, a reset). */
  | { kind: 'broke-off'; size: number; cause: unknown }
  /** The body ended before Content-Length (an identity body only: fetch undoes gzip). */
  | { kind: 'truncated'; got: number; declared: number };

export async function readCappedBody(
  res: Response,
  maxBytes: number,
): Promise<{ bytes: Buffer } | { problem: BodyProblem }> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    return { problem: { kind: 'declared-too-big', declared } };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > maxBytes) {
          await reader.cancel().catch(() => {});
          return { problem: { kind: 'too-big' } };
        }
        chunks.push(value);
      }
    }
  } catch (cause) {
    return { problem: { kind: 'broke-off', size, cause } };
  }
  const bytes = Buffer.concat(chunks, size);
  if (Number.isFinite(declared) && !res.headers.get('content-encoding') && bytes.length !== declared) {
    return { problem: { kind: 'truncated', got: bytes.length, declared } };
  }
  return { bytes };
}

/** A download error's most telling message (undici hides it in `cause`). */
export function causeOf(e: unknown): string {
  const c = (e as { cause?: unknown }).cause;
  const inner = c instanceof Error ? c.message : null;
  const outer = e instanceof Error ? e.message : String(e);
  return inner && inner !== outer ? `${outer} (${inner})` : outer;
}
