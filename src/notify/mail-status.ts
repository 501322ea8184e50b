/**
 * The mail status line of `sipprot status` and the UI: a pure function of the SMTP config.
 * Apart from smtp.ts so the CLI shows it without loading nodemailer (~110 ms of CPU on
 * every `sipprot` command, most of which never send mail).
 */
import type { Config } from '../core/types.js';

export interface MailStatus {
  configured: boolean;
  message: string;
}

export const NO_SMTP_MESSAGE = 'no mail: SMTP_HOST is not set';

export function mailStatus(config: Pick<Config, 'smtp'>): MailStatus {
  const s = config.smtp;
  if (!s.host) return { configured: false, message: NO_SMTP_MESSAGE };
  const tls = s.tls === 'none' ? 'no TLS' : s.tls === 'starttls' ? 'STARTTLS' : 'TLS';
  return { configured: true, message: `SMTP ${s.host}:${s.port} (${tls})` };
}
