/**
 * cors-safety: one origin policy for CORS and WebSocket handshakes.
 * @packageDocumentation
 */
export { CorsConfigError, type CorsConfigIssue } from './errors.js';
export type { CorsSafetyOptions, OriginOption, OriginFunction, CorsCallbackOriginFunction } from './options.js';
export { createCorsPolicy, isCorsPolicy, LOOPBACK_ORIGINS, type CorsPolicy, type PolicyMode, type PolicySource } from './policy.js';
export { createOriginValidator, type OriginValidator } from './origin-validator.js';
export type { OriginVerdict, ReasonCode, OriginAllowReason, OriginDenyReason, PreflightDenyReason } from './reasons.js';
