/** Issue 10 items 7, 8: the web admin's peers are known (the guard and the shield protect them). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setAdminPassword } from '../platform/admin-password.js';
import { login, PASSWORD } from './http.testkit.js';
import { AdminPresence } from './presence.js';
import { buildApi } from './server.js';
import { fakeWorld } from './world.testkit.js';

describe('admin presence', () => {
  it('a request with a live session records its peer; one without does not; it ages out', async () => {
    const world = fakeWorld();
    await setAdminPassword(world.store, PASSWORD);
    const presence = new AdminPresence();
    const app = await buildApi({ ...world.deps, presence }, { transport: 'tcp', webRoot: '/nonexistent' });
    try {
      const c = await login(app, '127.0.0.1');
      await app.inject({ method: 'GET', url: '/api/status', remoteAddress: '198.51.100.9' });
      assert.deepEqual(presence.recent(world.clock.now()), [], 'no session, no presence');
      await c.req({ method: 'GET', url: '/api/status' });
      assert.deepEqual(presence.recent(world.clock.now()), ['127.0.0.1']);
      assert.deepEqual(presence.recent(world.clock.now() + 2 * 3600 + 1), []);
    } finally {
      await app.close();
    }
  });
});
