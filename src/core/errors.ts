/**
 * Every error sipprot reports, in one catalog in the manner of fastify's lib/errors.js:
 * a stable code, the HTTP status the API answers with, and what the code means. The code
 * type is the catalog's keys, so a new code without a status does not compile (it used to
 * fall through to a silent 500), and the list of codes (OpenAPI, the UI) is derived here.
 *
 * Expected outcomes (not SIP, no match, address not listed) are values, never throws:
 * a SipprotError means someone must act on it, and its message says how. The message is
 * for the admin; the low-level error that led to it (errno, stack) travels as `cause`.
 */

interface CatalogEntry {
  /** The HTTP status of the API's answer. 400 also means exit code 2 (bad usage) in the CLI. */
  readonly status: number;
  /** One line: what happened and who acts on it. */
  readonly meaning: string;
}

export const ERROR_CATALOG = {
  // Bad input: the admin fixes the request, the file or the command line (HTTP 400, CLI exit 2).
  SP_ERR_USAGE: {
    status: 400,
    meaning: 'a request or command is malformed: a field, option or argument is wrong',
  },
  SP_ERR_CONFIG_INVALID: {
    status: 400,
    meaning: 'a config value is not allowed: the message names key, value and what is',
  },
  SP_ERR_ADDRESS_INVALID: { status: 400, meaning: 'not an IP address or network (or not an e-mail address)' },
  SP_ERR_LIST_INVALID: { status: 400, meaning: 'an allow or deny list file has lines that are not networks' },
  // Who asks, and whether they may.
  SP_ERR_AUTH: { status: 401, meaning: 'no session, or a wrong password: log in' },
  SP_ERR_PERMISSION: {
    status: 403,
    meaning: 'the operating system or the confirmation refused it (run as root, retype the password)',
  },
  SP_ERR_CSRF: {
    status: 403,
    meaning: 'a change came without the X-CSRF-Token of the session: reload the page',
  },
  SP_ERR_NOT_FOUND: { status: 404, meaning: 'no such route, list or recipient' },
  SP_ERR_LOCKOUT: { status: 409, meaning: 'refused: the change would lock the admin (or loopback) out' },
  SP_ERR_CONFIRM: {
    status: 409,
    meaning: 'a drastic change (a near-total range, emptying a list) needs --force or --yes',
  },
  SP_ERR_DAEMON_RUNNING: { status: 409, meaning: 'sipprotd already runs with this state directory' },
  SP_ERR_BAD_HOST: {
    status: 421,
    meaning: 'the Host header names no address or name of this server (DNS rebinding): see WEB_HOSTNAMES',
  },
  SP_ERR_TOO_LARGE: { status: 413, meaning: 'the request body is larger than the route accepts' },
  SP_ERR_UNSUPPORTED_MEDIA: {
    status: 415,
    meaning: 'the request body has a content type the route does not read',
  },
  SP_ERR_PCAP_FORMAT: {
    status: 422,
    meaning: 'a capture file is not pcap/pcapng or is corrupt at the byte named',
  },
  SP_ERR_RATE_LIMITED: {
    status: 429,
    meaning: 'too many failed logins from one address: wait Retry-After seconds',
  },
  // The host or a peer failed: the admin fixes the environment, then retries.
  SP_ERR_INTERNAL: { status: 500, meaning: 'an unexpected failure: the sipprotd log has the details' },
  SP_ERR_CONFIG_IO: {
    status: 500,
    meaning: 'the config file cannot be written (a settings change); the old file is kept',
  },
  SP_ERR_CONFIG_NOT_FOUND: { status: 500, meaning: 'the config file is missing or unreadable' },
  SP_ERR_LIST_IO: { status: 500, meaning: 'a list file cannot be read, written or locked' },
  SP_ERR_STORE: { status: 500, meaning: 'the state database cannot be opened, migrated or written' },
  SP_ERR_FIREWALL: { status: 500, meaning: 'nftables refused or failed a change' },
  SP_ERR_CAPTURE: { status: 500, meaning: 'packet capture (libpcap, HEP socket, capture file) failed' },
  SP_ERR_GEOIP: { status: 502, meaning: 'the geo-IP database cannot be read or updated from its source' },
  SP_ERR_FEED: {
    status: 502,
    meaning: 'a blocklist feed cannot be downloaded or its data was refused; its last good entries stay',
  },
  SP_ERR_SMTP: { status: 502, meaning: 'the mail server refused or failed; the message names the step' },
  SP_ERR_DAEMON_NOT_RUNNING: {
    status: 503,
    meaning: 'sipprotd does not run or does not answer on its socket',
  },
  SP_ERR_CLUSTER: {
    status: 503,
    meaning: "the cluster's Redis is unreachable or refused: the host keeps enforcing and queues its events",
  },
  SP_ERR_BUSY: {
    status: 503,
    meaning: 'a server limit is reached (open live views): retry after Retry-After seconds',
  },
} as const satisfies Record<`SP_ERR_${string}`, CatalogEntry>;

export type SipprotErrorCode = keyof typeof ERROR_CATALOG;

/** Every code, in catalog order. */
export const ERROR_CODES = Object.keys(ERROR_CATALOG) as SipprotErrorCode[];

export function httpStatus(code: SipprotErrorCode): number {
  return ERROR_CATALOG[code].status;
}

interface SipprotErrorOptions {
  /** The error that led to this one (errno, stack); logged, never shown as the message. */
  cause?: unknown;
  /** Extra machine-readable facts (e.g. the CSV lines that failed); sent to API clients. */
  details?: unknown;
}

export class SipprotError extends Error {
  readonly code: SipprotErrorCode;
  readonly details: unknown;

  constructor(code: SipprotErrorCode, message: string, options: SipprotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SipprotError';
    this.code = code;
    this.details = options.details;
  }
}

export function isSipprotError(e: unknown): e is SipprotError {
  return e instanceof SipprotError;
}
