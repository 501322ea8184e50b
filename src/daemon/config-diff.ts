/**
 * Which parts a reload must restart: compared field by field with a deep, ordered
 * equality (node:util isDeepStrictEqual), not by JSON text, so `undefined` fields, key
 * order and number formatting cannot make equal settings look different or the reverse.
 * Restarting libpcap drops the TCP reassembly state and a few frames: only when
 * INTERFACES, SIP_PORTS or PROTOCOLS changed. The mailer restarts when SMTP_* or NOTIFY_* did.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../core/types.js';

const same = <K extends keyof Config>(a: Config, b: Config, keys: readonly K[]): boolean =>
  keys.every((k) => isDeepStrictEqual(a[k], b[k]));

/** What capture and the decoder see: INTERFACES, SIP_PORTS, PROTOCOLS. */
export const sameCapture = (a: Config, b: Config): boolean =>
  same(a, b, ['interfaces', 'sipPorts', 'protocols']);

/** HEP_LISTEN. */
export const sameHep = (a: Config, b: Config): boolean => same(a, b, ['hepListen']);

/** SMTP_* and NOTIFY_*. */
export const sameMail = (a: Config, b: Config): boolean => same(a, b, ['smtp', 'notify']);
