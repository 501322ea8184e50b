import { clusterBusContract } from './cluster.contract.js';
import { FakeClusterBus } from './cluster.fake.js';

clusterBusContract('FakeClusterBus', async () => {
  let root = new FakeClusterBus();
  let maxLen: number | undefined;
  return {
    bus: async (opts) => {
      if (opts?.maxLen !== undefined && opts.maxLen !== maxLen) {
        maxLen = opts.maxLen;
        root = new FakeClusterBus({ maxLen });
      }
      return root.connect();
    },
    reset: async () => {
      maxLen = undefined;
      root = new FakeClusterBus();
    },
    inject: async (raw) => void root.injectRaw(raw),
    outage: async () => {
      root.setDown(true);
      return async () => root.setDown(false);
    },
    dispose: async () => undefined,
  };
});
