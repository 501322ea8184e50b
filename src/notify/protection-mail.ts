/**
 * The protection mail: sipprot stopped protecting, or protects again. Sent through the
 * alert path (at once, outside NOTIFY_INTERVAL's throttle): an admin who believes the host
 * is protected while capture is down, the firewall out of sync or the store failing must
 * hear of it within seconds, not in tomorrow's report.
 *
 * The reason may carry an OS or nft message: made printable and bounded; HTML escaped.
 */
import { escapeHtml, htmlPage } from '../core/report/format.js';
import { terminalText } from '../core/text/terminal.js';

/** The parts whose failure means "not protecting as promised". */
export type ProtectionPart = 'kernel' | 'firewall' | 'store' | 'capture';
export const PROTECTION_PARTS: readonly ProtectionPart[] = ['kernel', 'firewall', 'store', 'capture'];

export interface ProtectionNotice {
  part: ProtectionPart;
  state: 'lost' | 'restored';
  reason: string;
  at: number;
  /** restored: when it was lost. */
  lostAt: number | null;
}

const WHAT: Record<ProtectionPart, string> = {
  kernel: "sipprot's nftables rules vanished from the kernel",
  firewall: 'the kernel firewall is not in sync with sipprot (a change was refused and the rebuild failed)',
  store: 'the store refuses writes (STATE_DIR full or unwritable)',
  capture: 'packet capture stopped: attacks are no longer seen',
};

const CONSEQUENCE: Record<ProtectionPart, string> = {
  kernel: 'Until the table is rebuilt no address is blocked. sipprot rebuilds it from the store at once.',
  firewall:
    'Blocks decided now may not be in force. sipprot retries the rebuild every 5 seconds; check `nft list ruleset` and the log.',
  store:
    'Blocks stay in force in the kernel and wait in memory, but a restart now would forget them. Free space in STATE_DIR.',
  capture:
    'New attackers are not detected and not blocked (existing blocks stay). Check the interface (INTERFACES) and the log, then run `sipprotd reload`.',
};

export function buildProtectionMail(
  n: ProtectionNotice,
  host: string,
  formatTime: (t: number) => string,
): { subject: string; text: string; html: string } {
  const reason = terminalText(n.reason, 300);
  const after = n.lostAt !== null ? ` after ${Math.max(0, Math.round(n.at - n.lostAt))} s` : '';
  const head =
    n.state === 'lost'
      ? `PROTECTION LOST: ${WHAT[n.part]}`
      : `protection restored: ${n.part} works again${after}`;
  const subject = terminalText(`sipprot on ${host}: ${head}`, 200);
  const facts = [
    `When:    ${formatTime(n.at)}`,
    `Part:    ${n.part}`,
    `Detail:  ${reason}`,
    ...(n.lostAt !== null ? [`Lost at: ${formatTime(n.lostAt)}`] : []),
  ];
  const advice =
    n.state === 'lost'
      ? CONSEQUENCE[n.part]
      : 'Nothing to do; `sipprot status` shows the state of every part.';
  const text = [head, '', ...facts, '', advice, ''].join('\n');
  const html = htmlPage(
    subject,
    `<p><strong>${escapeHtml(head)}</strong></p><pre>${escapeHtml(facts.join('\n'))}</pre><p>${escapeHtml(advice)}</p>`,
  );
  return { subject, text, html };
}
