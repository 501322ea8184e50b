/**
 * Can sipprot's table work here: nft present, the rights to use it, a kernel with every
 * feature the table uses. Three nft runs at once (a start waits for them: ~0.1 s one after
 * the other), their answers judged in this order, so the first problem named is the same;
 * the `list tables` answer also says whether sipprot's table is in the kernel already (the
 * first load's question: one nft run less at a start).
 */
import { SipprotError } from '../core/errors.js';
import { emptyFirewallState } from '../ports/firewall.js';
import { TABLE } from './nft-render.js';
import { renderInit } from './nft-render-init.js';
import { type NftSession, shorten } from './nft-session.js';
import { prepareState } from './state.js';

/** Throws a SipprotError saying what to fix; resolves with whether sipprot's table is in the kernel. */
export async function checkNft(session: NftSession): Promise<boolean> {
  // Dry-run the whole table (nft -c sends it to the kernel and aborts): proves the
  // kernel has every feature we use (raw-priority prerouting, timeouts, meters).
  const probe = prepareState({
    ...emptyFirewallState(),
    deny: ['192.0.2.0/24'],
    dynamic: [{ ip: '192.0.2.1', expiresIn: 1 }],
    feeds: [{ network: '198.51.100.0/25', expiresIn: 60 }],
  });
  const [version, list, dry] = await Promise.all([
    session.exec(['--version']),
    session.exec(['list', 'tables']),
    session.exec(['-c', '-f', '-'], renderInit(probe).script),
  ]);
  if (version.code !== 0) {
    throw new SipprotError(
      'SP_ERR_FIREWALL',
      `'${session.describe()} --version' failed: ${shorten(version.stderr) || `exit code ${version.code}`}`,
    );
  }
  if (list.code !== 0) {
    if (/Operation not permitted|you must be root/i.test(list.stderr)) {
      throw new SipprotError(
        'SP_ERR_PERMISSION',
        'sipprot needs CAP_NET_ADMIN to manage nftables: run sipprotd as root ' +
          `(nft said: ${shorten(list.stderr, 200, 2)})`,
      );
    }
    throw new SipprotError('SP_ERR_FIREWALL', `nft cannot talk to the kernel: ${shorten(list.stderr)}`);
  }
  if (dry.code !== 0) {
    throw new SipprotError(
      'SP_ERR_FIREWALL',
      `this kernel or nft cannot load sipprot's table: ${shorten(dry.stderr)}`,
    );
  }
  return hasTable(list.stdout);
}

export function hasTable(listTables: string): boolean {
  return listTables.split('\n').some((l) => l.trim() === `table ${TABLE}`);
}
