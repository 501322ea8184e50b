/**
 * The alert mail (issue 12 item 4, issue 15 item 4): a breach ("possible cracked password"),
 * distributed guessing or a call to a watched destination is mailed at once, outside the
 * per-attack digest's NOTIFY_INTERVAL throttle. The subject and every line come from the
 * network in part (the extension, the user agent): made printable and bounded; the HTML
 * part is escaped.
 */
import type { Alert } from '../core/detect/alerts.js';
import { countryName } from '../core/geoip/countries.js';
import { escapeHtml, htmlPage } from '../core/report/format.js';
import { terminalText } from '../core/text/terminal.js';

const ADVICE: Record<Alert['kind'], string> = {
  breach:
    'Change the password of the extension now, check its recent calls, and block the address ' +
    'if it is not yours (sipprot deny add ADDRESS).',
  distributed:
    'Many addresses guess one extension: make sure its password is long and random; sipprot blocks the ' +
    'addresses that keep failing.',
  'watched-call':
    'A call to a watched destination went through: check that it was meant (TOLL_WATCH lists these prefixes).',
  shielded:
    'An address that proved itself recently (a phone that registered, a trunk) or is protected sent evidence ' +
    'that blocks at once; sipprot did not block it because a forged source address looks the same. If the ' +
    'address really scans you, deny it (sipprot deny add ADDRESS).',
};

export function buildAlertMail(
  a: Alert,
  country: string | null,
  host: string,
  formatTime: (t: number) => string,
): { subject: string; text: string; html: string } {
  const text = terminalText(a.text, 300);
  const subject = terminalText(`sipprot on ${host}: ALERT ${text}`, 200);
  const facts = [
    `When:       ${formatTime(a.at)}`,
    `Address:    ${a.ip}${country ? ` (${countryName(country) ?? country})` : ''}`,
    ...(a.user ? [`Extension:  ${terminalText(a.user, 64)}`] : []),
    ...(a.dialled ? [`Dialled:    ${terminalText(a.dialled, 64)}`] : []),
    `Failures:   ${a.failures}`,
    ...(a.sources.length > 1 ? [`Addresses:  ${a.sources.slice(0, 20).join(', ')}`] : []),
    ...(a.userAgent ? [`User agent: ${terminalText(a.userAgent, 120)}`] : []),
    `Transport:  ${a.transport} port ${a.port}`,
  ];
  const body = [`ALERT: ${text}`, '', ...facts, '', ADVICE[a.kind], ''].join('\n');
  const html = htmlPage(
    subject,
    `<p><strong>ALERT: ${escapeHtml(text)}</strong></p><pre>${escapeHtml(facts.join('\n'))}</pre><p>${escapeHtml(ADVICE[a.kind])}</p>`,
  );
  return { subject, text: body, html };
}
