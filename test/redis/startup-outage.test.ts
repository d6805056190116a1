/**
 * syncWithRedis() called while Redis is unreachable: it does not reject, it warns once on stderr
 * that no set is loaded yet (so only the configured origins are allowed) rather than claiming a
 * "last good set", and the configured origins keep being answered meanwhile. A real node-redis
 * client pointed at a loopback port nobody listens on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from 'redis';
import { createLivePolicy, createOriginValidator } from '../../src/index.js';
import { syncWithRedis } from '../../src/redis/index.js';
import { freePort } from '../helpers/nginx.js';
import { scaled } from '../helpers/time.js';

describe('syncWithRedis() with Redis unreachable at start', () => {
  it('warns that no set is loaded yet, keeps the configured origins, and waits instead of rejecting', async () => {
    const port = await freePort();
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: () => 50 } });
    const policy = createLivePolicy({ origin: 'https://app.example.com', env: {} });
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }): void => {
      if (warning.code === 'CORS_SAFETY_REDIS_DOWN') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    let settled = false;
    const sync = syncWithRedis(policy, { client, key: 'cors:startup' }).then(
      () => (settled = true),
      () => (settled = true),
    );
    try {
      const deadline = Date.now() + scaled(10_000);
      while (warnings.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Several failed attempts later, still one warning and still waiting.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(
        warnings[0] ?? '',
        /no set of "cors:startup" is loaded yet: only the configured origins are allowed/,
      );
      assert.equal(settled, false, 'syncWithRedis() neither resolved nor rejected');
      const check = createOriginValidator(policy);
      assert.equal((await check.check('https://app.example.com')).allowed, true);
      assert.equal((await check.check('https://shop.customer.net')).allowed, false);
    } finally {
      process.off('warning', onWarning);
      client.destroy();
      await sync;
    }
  });
});
