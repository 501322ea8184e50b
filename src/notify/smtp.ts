/**
 * The SMTP adapter: a nodemailer transport built from Config.smtp, and the translation
 * of nodemailer's errors into one SipprotError per step an admin can fix (connect, TLS,
 * auth, sender, recipient, message). `sipprot notify test` and the outbox both use it.
 */
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import nodemailer from 'nodemailer';
import { SipprotError } from '../core/errors.js';
import type { Config } from '../core/types.js';
import { NO_SMTP_MESSAGE } from './mail-status.js';

export type SmtpConfig = Config['smtp'];

/** Where an SMTP exchange failed, in the order they happen. */
export type SmtpStep = 'connect' | 'tls' | 'auth' | 'sender' | 'recipient' | 'message';

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  /** Extra headers, e.g. X-Sipprot-Kind. */
  headers?: Record<string, string>;
}

interface SendResult {
  accepted: string[];
  /** Recipients the server refused while accepting others. */
  rejected: string[];
}

/** The port the notifier sends through; tests may pass their own. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<SendResult>;
  /** Connects, upgrades to TLS and logs in, without sending. */
  verify(): Promise<void>;
  close(): void;
}

export interface SmtpOptions {
  /** Extra TLS options, e.g. `{ ca }` for a server with a private CA. */
  tls?: ConnectionOptions;
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  /** Name used in the default sender address; default os.hostname(). */
  hostname?: string;
}

/** SMTP_FROM, else SMTP_USER when it is an address, else sipprot@<hostname>. */
export function senderAddress(smtp: SmtpConfig, host: string = hostname()): string {
  if (smtp.from) return smtp.from;
  if (smtp.user?.includes('@')) return smtp.user;
  return `sipprot@${host || 'localhost'}`;
}

export function createSmtpTransport(smtp: SmtpConfig, opts: SmtpOptions = {}): MailTransport {
  const host = smtp.host;
  if (!host) throw new SipprotError('SP_ERR_SMTP', `${NO_SMTP_MESSAGE}: set it in sipprot.conf to send mail`);
  const from = senderAddress(smtp, opts.hostname);
  const transporter = nodemailer.createTransport({
    host,
    port: smtp.port,
    // none: never upgrade, even if offered; starttls: refuse to go on without it.
    secure: smtp.tls === 'tls',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    tls: opts.tls,
    connectionTimeout: opts.connectionTimeoutMs ?? 10_000,
    greetingTimeout: opts.greetingTimeoutMs ?? 10_000,
    socketTimeout: opts.socketTimeoutMs ?? 60_000,
    logger: false,
  });
  return {
    async send(mail) {
      try {
        const info = await transporter.sendMail({
          from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          ...(mail.html !== null ? { html: mail.html } : {}),
          headers: { 'Auto-Submitted': 'auto-generated', ...mail.headers },
        });
        return { accepted: addresses(info.accepted), rejected: addresses(info.rejected) };
      } catch (e) {
        throw smtpError(e, smtp);
      }
    },
    async verify() {
      try {
        await transporter.verify();
      } catch (e) {
        throw smtpError(e, smtp);
      }
    },
    close() {
      transporter.close();
    },
  };
}

interface NodemailerError {
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  timeoutType?: string;
  message?: string;
}

/**
 * Turns whatever nodemailer threw into SP_ERR_SMTP whose message names the failed step
 * and what to change; `details` carries { step, code, response } for the UI and JSON.
 */
export function smtpError(e: unknown, smtp: SmtpConfig): SipprotError {
  if (e instanceof SipprotError) return e;
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as NodemailerError;
  const where = `${smtp.host}:${smtp.port}`;
  const code = err.code ?? '';
  const orig = err.originalCode ?? '';
  const msg = (err.message ?? String(e)).trim();
  const response = err.response ?? null;
  const fail = (step: SmtpStep, text: string) =>
    new SipprotError('SP_ERR_SMTP', `SMTP ${step} failed: ${text}`, {
      cause: e,
      details: { step, code: orig || code || null, response },
    });

  if (code === 'EDNS' || orig === 'ENOTFOUND' || orig === 'EAI_AGAIN') {
    return fail('connect', `host ${smtp.host} not found (${orig || code}); check SMTP_HOST`);
  }
  if (orig === 'ECONNREFUSED' || code === 'ECONNREFUSED') {
    return fail(
      'connect',
      `connection to ${where} refused: is the mail server running, and are SMTP_HOST and SMTP_PORT right?`,
    );
  }
  if (orig === 'EHOSTUNREACH' || orig === 'ENETUNREACH') {
    return fail('connect', `${where} is unreachable (${orig}): check SMTP_HOST and the network`);
  }
  if (code === 'ETIMEDOUT' || orig === 'ETIMEDOUT') {
    if (err.timeoutType === 'GREETING_TIMEOUT' || /greeting/i.test(msg)) {
      const hint =
        smtp.tls === 'tls'
          ? 'the server may expect a plain or STARTTLS session here: try SMTP_TLS=starttls'
          : 'if this port expects TLS from the first byte (usually 465), set SMTP_TLS=tls';
      return fail('connect', `connected to ${where}, but no SMTP greeting came: ${hint}`);
    }
    if (err.command === 'CONN' || err.timeoutType === 'CONNECTION_TIMEOUT' || !err.command) {
      return fail('connect', `no answer from ${where} (timed out): check SMTP_HOST, SMTP_PORT and firewalls`);
    }
    return fail('message', `${where} stopped answering during ${err.command} (timed out)`);
  }
  if (isTlsError(code, orig, msg)) {
    if (/wrong version number|packet length too long|unknown protocol/i.test(msg)) {
      return fail(
        'tls',
        `${where} does not speak TLS from the first byte: with SMTP_TLS=tls use the TLS port ` +
          `(usually 465), or set SMTP_TLS=starttls (usually port 587)`,
      );
    }
    if (err.command === 'STARTTLS') {
      return fail(
        'tls',
        `${where} does not offer STARTTLS${response ? ` (${response})` : ''}: ` +
          `set SMTP_TLS=tls if the port expects TLS from the start, or SMTP_TLS=none`,
      );
    }
    if (/CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_VERIFY/i.test(orig)) {
      return fail('tls', `the certificate of ${where} is not trusted: ${msg} (${orig})`);
    }
    return fail('tls', `TLS with ${where} failed: ${msg}`);
  }
  if (code === 'ENOAUTH') {
    return fail('auth', `${where} requires a login: set SMTP_USER and SMTP_PASSWORD`);
  }
  if (code === 'EAUTH') {
    return fail(
      'auth',
      `${where} rejected the login of user ${JSON.stringify(smtp.user ?? '')}` +
        `${response ? `: ${response}` : ''}; check SMTP_USER and SMTP_PASSWORD`,
    );
  }
  if (code === 'EENVELOPE' && err.command === 'MAIL FROM') {
    if (err.responseCode === 530 || /auth/i.test(response ?? '')) {
      return fail('auth', `${where} requires a login before sending: set SMTP_USER and SMTP_PASSWORD`);
    }
    return fail(
      'sender',
      `${where} rejected the sender address${response ? `: ${response}` : ''}; check SMTP_FROM`,
    );
  }
  if (code === 'EENVELOPE') {
    return fail('recipient', `${where} rejected the recipient${response ? `: ${response}` : `: ${msg}`}`);
  }
  if (code === 'ECONNECTION' || code === 'ESOCKET') {
    return fail('connect', `connection to ${where} failed: ${msg}`);
  }
  return fail('message', `${where} did not accept the mail: ${msg}`);
}

/** Failures of the server or its settings (every mail would fail), not of one mail. */
export function isServerFailure(e: unknown): boolean {
  const step = e instanceof SipprotError ? (e.details as { step?: SmtpStep } | undefined)?.step : undefined;
  return step !== 'recipient' && step !== 'message';
}

interface SmtpTestResult {
  server: string;
  /** Steps that passed, in order. */
  passed: SmtpStep[];
  accepted: string[];
}

/**
 * `sipprot notify test`: connect, TLS, login, then a real mail to `to`. Rejects with
 * SP_ERR_SMTP naming the step that failed; a recipient the server refused is a failure.
 */
export async function testSmtp(
  smtp: SmtpConfig,
  to: string[],
  opts: SmtpOptions & { transport?: MailTransport; now?: Date } = {},
): Promise<SmtpTestResult> {
  const transport = opts.transport ?? createSmtpTransport(smtp, opts);
  const passed: SmtpStep[] = [];
  try {
    await transport.verify();
    passed.push('connect');
    if (smtp.tls !== 'none') passed.push('tls');
    if (smtp.user) passed.push('auth');
    const when = (opts.now ?? new Date()).toString();
    const r = await transport.send({
      to,
      subject: 'sipprot test mail',
      text:
        `This is a test mail from sipprot, sent ${when}.\n\n` +
        `SMTP server: ${smtp.host}:${smtp.port} (SMTP_TLS=${smtp.tls})\n` +
        'If you can read this, attack reports will reach you.\n',
      html: null,
      headers: { 'X-Sipprot-Kind': 'test' },
    });
    if (r.rejected.length > 0) {
      throw new SipprotError(
        'SP_ERR_SMTP',
        `SMTP recipient failed: ${smtp.host}:${smtp.port} rejected ${r.rejected.join(', ')}`,
        { details: { step: 'recipient', code: null, response: null, accepted: r.accepted } },
      );
    }
    passed.push('sender', 'recipient', 'message');
    return { server: `${smtp.host}:${smtp.port}`, passed, accepted: r.accepted };
  } finally {
    if (!opts.transport) transport.close();
  }
}

function isTlsError(code: string, orig: string, msg: string): boolean {
  return (
    code === 'ETLS' ||
    /^ERR_SSL|^ERR_TLS|CERT|SELF_SIGNED|UNABLE_TO_VERIFY|^EPROTO$/.test(orig) ||
    /SSL routines|certificate|TLS/i.test(msg)
  );
}

function addresses(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((a) => (typeof a === 'string' ? a : String((a as { address?: string }).address ?? a)));
}
