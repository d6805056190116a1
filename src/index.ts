/**
 * cors-safety: one origin policy for CORS and WebSocket handshakes.
 * @packageDocumentation
 */
import { installNodePlatform } from './node/platform.js';

// The Node entry: `debug` logging and the lazy Public Suffix List loader for the policy core.
installNodePlatform();

export { CorsConfigError, type CorsConfigIssue } from './policy/errors.js';
export type {
  CorsSafetyOptions,
  OriginOption,
  OriginFunction,
  CorsCallbackOriginFunction,
  TypedRequestOriginFunction,
  OriginRequest,
  OriginCallbackValue,
} from './policy/options.js';
export {
  createCorsPolicy,
  isCorsPolicy,
  LOOPBACK_ORIGINS,
  type CorsPolicy,
  type PolicyMode,
  type PolicySource,
} from './policy/policy.js';
export { createLivePolicy, invalidateOriginLookup, type LivePolicy, type OriginChanges } from './policy/live-policy.js';
export type { OriginLookupOptions, OriginLookupResult, OriginLookupCacheResult } from './policy/origin-lookup.js';
export { createOriginValidator, type OriginValidator } from './policy/origin-validator.js';
export { escapeControlCharacters } from './shared/escape.js';
export type {
  OriginVerdict,
  ReasonCode,
  OriginAllowReason,
  OriginDenyReason,
  PreflightDenyReason,
  UpgradeOnlyReason,
  SameOriginReason,
  RequestVerdict,
} from './policy/reasons.js';
export { corsSafety, type CorsSafetyMiddleware } from './http/middleware.js';
// `import corsSafety from 'cors-safety'`, the habit from the `cors` package.
export { corsSafety as default } from './http/middleware.js';
export {
  corsErrorHandler,
  notFound,
  type CorsErrorHandlerOptions,
  type ErrorLogEntry,
} from './express/error-handler.js';
export { REASON_HEADER } from './headers/actual-headers.js';
export type { Middleware, ErrorMiddleware, NextFunction } from './http/http-types.js';
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
} from './websocket/upgrade-guard.js';
export type { UpgradeRefusalStatus } from './websocket/upgrade-refusal.js';
export {
  createAllowRequest,
  type AllowRequest,
  type AllowRequestCallback,
  type AllowRequestOptions,
} from './websocket/socketio.js';
export { DECISION_CHANNEL } from './events/decision-channel.js';
export type {
  CorsDecisionEvent,
  CandidateDecision,
  DecisionListener,
  DecisionOutcome,
  DecisionTransport,
} from './policy/decision-types.js';
export { createNginxConfig, type NginxConfig } from './proxy/nginx-config.js';
