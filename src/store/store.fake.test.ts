import { storeContract } from './store.contract.js';
import { FakeStore } from './store.fake.js';

storeContract('FakeStore', async () => {
  const store = new FakeStore();
  return { store, cleanup: () => store.close() };
});
