/**
 * The store with a few of its methods replaced, every other one the store's own (bound to
 * it). How the daemon hands the API a store whose history goes through the writer thread
 * (store-writer.ts) and whose recipient changes are told to the fleet (cluster.ts),
 * without a wrapper class that must follow every method the Store port gains.
 */
import type { Store } from '../ports/store.js';

export function storeWith(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof Store];
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
