/**
 * The nftables adapter for real, as root, inside network namespaces this test creates:
 * the Firewall contract, then real traffic from a peer namespace (b) to the guarded
 * host (a). Nothing is sent anywhere else, and no rule touches the root namespace.
 */
import { firewallContract } from '../src/firewall/firewall.contract.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { Netns } from './netns.js';

firewallContract('NftablesFirewall (netns)', async () => {
  const ns = await Netns.create('fwc');
  const fw = new NftablesFirewall({ command: ns.command('nft') });
  return {
    fw,
    advance: (s) => new Promise((r) => setTimeout(r, s * 1000)),
    cleanup: async () => {
      await fw.shutdown().catch(() => {});
      await ns.destroy();
    },
  };
});
