/**
 * createOriginValidator(): the origin part of a policy on its own, for places that are not HTTP
 * middleware (socket.io's `allowRequest`, a custom WebSocket server, a CLI).
 */
import type { IncomingMessage } from 'node:http';
import { decideOrigin, logVerdict } from './origin-check.js';
import type { CorsSafetyOptions } from './options.js';
import { createCorsPolicy, policyCell, type CorsPolicy } from './policy.js';
import { DENIED, type OriginVerdict } from './reasons.js';
import { describeError, logOrigin } from '../shared/log.js';

/**
 * Checks `Origin` header values against one policy.
 *
 * @example
 * ```ts
 * const validator: OriginValidator = createOriginValidator(policy);
 * const { allowed, reason } = await validator.check(req.headers.origin, req);
 * ```
 */
export interface OriginValidator {
  /** The policy this validator enforces. */
  readonly policy: CorsPolicy;
  /**
   * Decides a raw `Origin` header value (`req.headers.origin`). Returns the verdict directly,
   * or a Promise of it only when the policy's origin function answers asynchronously; `await`
   * works in both cases. Never throws and never rejects.
   */
  check(origin: string | readonly string[] | undefined, req?: IncomingMessage): OriginVerdict | Promise<OriginVerdict>;
}

/**
 * Builds an {@link OriginValidator} from options or from a policy made by `createCorsPolicy()`.
 *
 * @example
 * ```ts
 * const validator = createOriginValidator({ origin: 'https://app.example.com' });
 * validator.check('https://app.example.com'); // { allowed: true, reason: 'allowed-exact', ... }
 * validator.check('https://evil.example');    // { allowed: false, reason: 'origin-not-allowed', ... }
 *
 * // socket.io
 * new Server(httpServer, {
 *   allowRequest: (req, done) => {
 *     Promise.resolve(validator.check(req.headers.origin, req)).then((v) => done(null, v.allowed));
 *   },
 * });
 * ```
 */
export function createOriginValidator(options?: CorsSafetyOptions | CorsPolicy): OriginValidator {
  const policy = createCorsPolicy(options);
  const cell = policyCell(policy);
  return Object.freeze({
    policy,
    check: function checkOrigin(origin: string | readonly string[] | undefined, req?: IncomingMessage) {
      let verdict: OriginVerdict | Promise<OriginVerdict>;
      try {
        // A live policy's version in force now decides this check.
        verdict = decideOrigin(cell.current, origin, req);
      } catch (err) {
        // A value no header can hold (a revoked Proxy, an array whose items throw): fail closed.
        logOrigin('validator: denied (origin-malformed): the value threw when read: %s', describeError(err));
        return DENIED.malformed;
      }
      if (verdict instanceof Promise) {
        return verdict.then((settled) => {
          logVerdict(settled, origin, 'validator');
          return settled;
        });
      }
      logVerdict(verdict, origin, 'validator');
      return verdict;
    },
  });
}
