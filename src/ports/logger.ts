/**
 * The logger port: the one interface every part logs through (the daemon, firewall,
 * notifier, capture, API bootstrap). A pino logger fits it as is; the daemon makes one
 * child per component (`{ component: 'nft' }`, `'mail'`, `'hep'`, ...).
 *
 * Contract:
 * - `obj` carries the facts as fields (`{ ip, err }`), `msg` a short sentence; never put
 *   untrusted text (SIP headers, HTTP paths) into `msg`: fields are escaped by the sink,
 *   a message line is not.
 * - Log a state change once (block, unblock, reload, a socket failing), never per packet:
 *   per-packet work is counted in stats, not logged.
 * - Logging never throws and never blocks on I/O the caller waits for.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** A logger that adds `bindings` to every line (one per component). */
  child(bindings: Record<string, unknown>): Logger;
}

/** Discards everything (tests, and parts built without a logger). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
