import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeStore } from '../store/store.fake.js';
import { storeWith } from './store-with.js';

test('storeWith: the overrides answer, every other method is the store’s own, bound to it', async () => {
  const store = new FakeStore();
  const added: string[] = [];
  const view = storeWith(store, {
    addRecipient: async (email, name) => {
      const r = await store.addRecipient(email, name);
      added.push(email);
      return r;
    },
  });
  await view.addRecipient('ops@example.org', 'Ops');
  assert.deepEqual(added, ['ops@example.org']);
  const { listRecipients } = view; // detached: still bound to the store
  assert.deepEqual(
    (await listRecipients()).map((r) => r.email),
    ['ops@example.org'],
  );
  assert.equal(await view.removeRecipient('ops@example.org'), true);
  assert.deepEqual(added, ['ops@example.org'], 'removeRecipient was not overridden');
  await assert.rejects(view.addRecipient('not an address'));
  assert.deepEqual(added, ['ops@example.org'], 'a refused change runs no hook');
});
