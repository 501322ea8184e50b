import { MemoryStore } from './memory-store.js';
import { storeContract } from './store.contract.js';

storeContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});
