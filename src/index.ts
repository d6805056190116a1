/**
 * cors-safety: one origin policy for CORS and WebSocket handshakes.
 * @packageDocumentation
 */
export { CorsConfigError, type CorsConfigIssue } from './errors.js';
export type { CorsSafetyOptions, OriginOption, OriginFunction, CorsCallbackOriginFunction } from './options.js';
export { createCorsPolicy, isCorsPolicy, LOOPBACK_ORIGINS, type CorsPolicy, type PolicyMode, type PolicySource } from './policy.js';
export { createOriginValidator, type OriginValidator } from './origin-validator.js';
export type { OriginVerdict, ReasonCode, OriginAllowReason, OriginDenyReason, PreflightDenyReason, UpgradeOnlyReason } from './reasons.js';
export { corsSafety, type CorsSafetyMiddleware } from './middleware.js';
export { corsErrorHandler, notFound, type CorsErrorHandlerOptions, type ErrorLogEntry } from './error-handler.js';
export { REASON_HEADER } from './response-headers.js';
export type { Middleware, ErrorMiddleware, NextFunction } from './http-types.js';
export {
  upgradeGuard,
  createVerifyClient,
  type UpgradeGuardOptions,
  type VerifyClientOptions,
  type UpgradeListener,
  type UpgradeRejectInfo,
  type UpgradeAllowReason,
  type UpgradeDenyReason,
  type VerifyClient,
  type VerifyClientInfo,
  type VerifyClientCallback,
} from './upgrade-guard.js';
export type { UpgradeRefusalStatus } from './upgrade-refusal.js';
