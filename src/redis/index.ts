/**
 * cors-safety/redis: keeps the run-time origins of live policies on many instances in step
 * through one Redis set. Each change is written to the set and then announced on a pub/sub
 * channel; every instance reloads the whole set on each announcement, on every (re)connection
 * and every `reloadInterval`, so an instance that starts late or was cut off loses no update.
 * The `redis` package (node-redis) is an optional peer dependency, loaded only here.
 */
import { readDynamicEntries, type DynamicEntry } from '../policy/dynamic-origins.js';
import { IssueCollector } from '../policy/errors.js';
import { describeError, logPolicy } from '../shared/log.js';
import { isLivePolicy, type LivePolicy } from '../policy/live-policy.js';
import { reloadDynamicOrigins } from '../policy/live-reload.js';
import { describeValue, isPlainObject } from '../policy/option-values.js';
import { escapeControlCharacters } from '../shared/escape.js';

/**
 * The part of a node-redis client (`createClient()` from the `redis` package, v5 or v6) this
 * module uses. Pass your own connected or unconnected client as `client`, or a `url`.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client: RedisClientLike = createClient({ url: 'redis://127.0.0.1:6379' });
 * ```
 */
export interface RedisClientLike {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  duplicate(): RedisClientLike;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  sMembers(key: string): Promise<string[]>;
  sAdd(key: string, members: string[]): Promise<number>;
  sRem(key: string, members: string[]): Promise<number>;
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
}

/**
 * Options of {@link syncWithRedis}: `url` or `client`, and the `key` of the set.
 *
 * @example
 * ```ts
 * const options: RedisSyncOptions = { url: process.env.REDIS_URL, key: 'cors:origins' };
 * ```
 */
export interface RedisSyncOptions {
  /** A Redis URL (`redis://host:6379`); the client made from it is closed by `close()`. */
  url?: string | undefined;
  /** Your own node-redis client instead of `url`; `close()` leaves it open. */
  client?: RedisClientLike | undefined;
  /** The Redis set holding the origins; changes are announced on `<key>:changes`. */
  key: string;
  /** Milliseconds between full reloads, a safety net for announcements lost in transit. Default 30000. */
  reloadInterval?: number | undefined;
}

/**
 * What {@link syncWithRedis} returns: writes that reach every instance, and `close()`.
 *
 * @example
 * ```ts
 * const fleet: RedisSync = await syncWithRedis(policy, { url: 'redis://127.0.0.1:6379', key: 'cors:origins' });
 * await fleet.add(['https://shop.customer.net']);
 * ```
 */
export interface RedisSync {
  /**
   * Validates every origin like the `origin` option (a bad one throws `CorsConfigError` and
   * nothing is written), adds them to the set, applies them here at once and announces them.
   */
  add(origins: readonly string[]): Promise<void>;
  /** Like {@link RedisSync.add}, removing. */
  remove(origins: readonly string[]): Promise<void>;
  /** Stops listening and closes the connections this module opened. The policy keeps its origins. */
  close(): Promise<void>;
}

const DEFAULT_RELOAD_MS = 30_000;

/** Validates a list of origins; throws CorsConfigError listing all problems. */
function readOrigins(origins: unknown, what: string): DynamicEntry[] {
  const issues = new IssueCollector();
  const entries = readDynamicEntries(origins, what, issues);
  issues.throwIfAny();
  return entries;
}

function readOptions(policy: unknown, options: unknown): { key: string; reloadInterval: number } {
  const issues = new IssueCollector();
  if (!isLivePolicy(policy))
    issues.add(
      '(policy)',
      'redis-policy-type',
      'must be a policy made by createLivePolicy(); a createCorsPolicy() policy never changes',
    );
  const given = isPlainObject(options) ? options : {};
  if (!isPlainObject(options))
    issues.add('(options)', 'options-type', `must be an object { url, key }, got ${describeValue(options)}`);
  if ((given.url === undefined) === (given.client === undefined))
    issues.add('url', 'redis-connection', 'give exactly one of url (a redis:// URL) or client (a node-redis client)');
  if (given.url !== undefined && typeof given.url !== 'string')
    issues.add('url', 'redis-url-type', `must be a string, got ${describeValue(given.url)}`);
  if (typeof given.key !== 'string' || given.key.length === 0)
    issues.add(
      'key',
      'redis-key-type',
      `must be the name of a Redis set, e.g. "cors:origins", got ${describeValue(given.key)}`,
    );
  const interval = given.reloadInterval ?? DEFAULT_RELOAD_MS;
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 100 || interval > 3_600_000)
    issues.add(
      'reloadInterval',
      'redis-reload-interval',
      `must be an integer from 100 to 3600000 (ms), got ${describeValue(interval)}`,
    );
  for (const name of Object.keys(given))
    if (!['url', 'client', 'key', 'reloadInterval'].includes(name))
      issues.add(name, 'unknown-option', 'is not an option of syncWithRedis(); use url or client, key, reloadInterval');
  issues.throwIfAny();
  return { key: given.key as string, reloadInterval: interval as number };
}

/** Makes a client from a URL with the optional `redis` peer dependency. */
async function clientFromUrl(url: string): Promise<RedisClientLike> {
  let redis: { createClient(options: { url: string }): unknown };
  try {
    redis = await import('redis');
  } catch (err) {
    throw new Error(`cors-safety/redis needs the "redis" package: npm install redis (${describeError(err)})`);
  }
  return redis.createClient({ url }) as RedisClientLike;
}

/**
 * Warnings on stderr, once per outage and once per recovery (not only under DEBUG). `loaded()`
 * tells whether a set was ever loaded: before that, only the configured origins are in force.
 */
function outageReporter(key: string, loaded: () => boolean): { down: (err: unknown) => void; up: () => void } {
  let isDown = false;
  return {
    down: (err) => {
      if (isDown) return;
      isDown = true;
      const meanwhile = loaded()
        ? `the last good set of "${key}" stays in force until it is back`
        : `no set of "${key}" is loaded yet: only the configured origins are allowed, and syncWithRedis() waits, until it is back`;
      process.emitWarning(
        escapeControlCharacters(`cors-safety: Redis is unreachable (${describeError(err)}); ${meanwhile}`),
        { type: 'CorsSafetyWarning', code: 'CORS_SAFETY_REDIS_DOWN' },
      );
    },
    up: () => {
      if (!isDown) return;
      isDown = false;
      process.emitWarning(`cors-safety: Redis is reachable again; "${escapeControlCharacters(key)}" reloaded`, {
        type: 'CorsSafetyWarning',
        code: 'CORS_SAFETY_REDIS_UP',
      });
    },
  };
}

/**
 * Keeps the run-time origins of `policy` (see `LivePolicy.update()`) equal to a Redis set, on
 * every instance that calls it with the same `key`. Resolves once the set is loaded; when Redis
 * is unreachable at the start it keeps trying and does not reject (only the configured origins
 * are allowed meanwhile), so await it after the server listens if Redis must not hold the start.
 * Origins in the set that are not valid origin entries are skipped and counted in the
 * `cors-safety:policy` debug log. While Redis is unreachable the last good set stays in force; the outage and its end are reported once each with
 * `process.emitWarning` (codes `CORS_SAFETY_REDIS_DOWN`, `CORS_SAFETY_REDIS_UP`).
 * Throws `CorsConfigError` for invalid options.
 *
 * @example
 * ```ts
 * import { createLivePolicy, corsSafety } from 'cors-safety';
 * import { syncWithRedis } from 'cors-safety/redis';
 *
 * const policy = createLivePolicy({ origin: ['https://app.example.com'] });
 * const fleet = await syncWithRedis(policy, { url: 'redis://127.0.0.1:6379', key: 'cors:origins' });
 * app.use(corsSafety(policy));
 * await fleet.add(['https://shop.customer.net']); // every instance grants it within a second
 * ```
 */
export async function syncWithRedis(policy: LivePolicy, options: RedisSyncOptions): Promise<RedisSync> {
  const { key, reloadInterval } = readOptions(policy, options);
  const channel = `${key}:changes`;
  const owned = options.client === undefined;
  const client = options.client ?? (await clientFromUrl(options.url as string));
  const subscriber = client.duplicate();
  let loadedOnce = false;
  const outage = outageReporter(key, () => loadedOnce);
  let closed = false;

  // Reloads never overlap: a request for one while one runs makes exactly one more run after it.
  let running: Promise<void> | undefined;
  let again = false;
  const loadOnce = async (): Promise<void> => {
    const members = await client.sMembers(key);
    const issues = new IssueCollector();
    if (!closed) await reloadDynamicOrigins(policy, members, key, issues, () => closed);
    loadedOnce = true;
    if (issues.count > 0)
      logPolicy('redis: skipped %d invalid members of %s', issues.count, escapeControlCharacters(key));
  };
  const reload = (): Promise<void> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await loadOnce();
        } while (again && !closed);
      } finally {
        // Cleared in the same step the loop ends, so a request arriving after it starts a new run
        // instead of joining one that has already read the set.
        running = undefined;
      }
    })();
    return running;
  };
  const reloadQuietly = (): void => {
    reload().then(outage.up, outage.down);
  };

  for (const connection of [client, subscriber]) {
    connection.on('error', (err: unknown) => outage.down(err));
  }
  // Every (re)connection of the subscriber loads the whole set: nothing announced meanwhile is lost.
  subscriber.on('ready', () => reloadQuietly());
  if (!client.isOpen) await client.connect();
  await subscriber.connect();
  await subscriber.subscribe(channel, () => reloadQuietly());
  await reload();
  const timer = setInterval(reloadQuietly, reloadInterval);
  timer.unref();

  const write = async (origins: readonly string[], what: 'add' | 'remove'): Promise<void> => {
    const entries = readOrigins(origins, what);
    if (entries.length === 0) return;
    const rules = entries.map((entry) => entry.rule);
    if (what === 'add') await client.sAdd(key, rules);
    else await client.sRem(key, rules);
    await reload();
    await client.publish(channel, what);
  };
  return Object.freeze({
    add: (origins: readonly string[]) => write(origins, 'add'),
    remove: (origins: readonly string[]) => write(origins, 'remove'),
    close: async () => {
      closed = true;
      clearInterval(timer);
      await closeClient(subscriber);
      if (owned) await closeClient(client);
    },
  });
}

async function closeClient(client: RedisClientLike): Promise<void> {
  try {
    if (typeof client.close === 'function') await client.close();
    else if (typeof client.quit === 'function') await client.quit();
  } catch {
    // Already closed or never connected: nothing left to close.
  }
}
