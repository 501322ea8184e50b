/**
 * One error type with a stable code, in the manner of fastify's FST_ERR_* catalog.
 * Expected outcomes (not SIP, no match, address not listed) are values, never throws:
 * a SipprotError means someone must act on it, and its message says how.
 */
export type SipprotErrorCode =
  | 'SP_ERR_CONFIG_INVALID'
  | 'SP_ERR_CONFIG_NOT_FOUND'
  | 'SP_ERR_CONFIG_IO'
  | 'SP_ERR_ADDRESS_INVALID'
  | 'SP_ERR_LIST_INVALID'
  | 'SP_ERR_LIST_IO'
  | 'SP_ERR_STORE'
  | 'SP_ERR_FIREWALL'
  | 'SP_ERR_CAPTURE'
  | 'SP_ERR_PCAP_FORMAT'
  | 'SP_ERR_GEOIP'
  | 'SP_ERR_SMTP'
  | 'SP_ERR_DAEMON_RUNNING'
  | 'SP_ERR_DAEMON_NOT_RUNNING'
  | 'SP_ERR_PERMISSION'
  | 'SP_ERR_LOCKOUT'
  | 'SP_ERR_AUTH'
  | 'SP_ERR_NOT_FOUND'
  | 'SP_ERR_USAGE';

export class SipprotError extends Error {
  readonly code: SipprotErrorCode;
  /** Extra machine-readable facts (e.g. the CSV lines that failed). */
  readonly details: unknown;

  constructor(code: SipprotErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'SipprotError';
    this.code = code;
    this.details = details;
  }
}

export function isSipprotError(e: unknown): e is SipprotError {
  return e instanceof SipprotError;
}
