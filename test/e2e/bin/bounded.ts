/** A whole-number option of a lab client (big-sip.ts, ws-sip.ts), refused outside lo-hi: every loop they run stays bounded. */
export function bounded(name: string, value: string | undefined, lo: number, hi: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < lo || n > hi)
    throw new Error(`--${name} must be ${lo}-${hi}, got ${value}`);
  return n;
}
