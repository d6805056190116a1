/**
 * Type test: a real node-redis client fits `RedisClientLike`, so `syncWithRedis(policy, { client })`
 * compiles with the client users already have.
 */
import { createClient } from 'redis';
import { createLivePolicy } from '../../src/index.js';
import { syncWithRedis, type RedisClientLike, type RedisSync } from '../../src/redis/index.js';

const client = createClient({ url: 'redis://127.0.0.1:6379' });
const like: RedisClientLike = client;
const pending: Promise<RedisSync> = syncWithRedis(createLivePolicy({ origin: false }), { client, key: 'cors:origins' });
export { like, pending };
