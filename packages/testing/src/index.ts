/**
 * `@tokenwarden/testing`: helpers for testing applications that use tokenwarden, with no real token
 * endpoint (a dev dependency; `@tokenwarden/core` never imports it). `mockTokenEndpoint` needs `nock`
 * (>= 15) installed, an optional peer dependency loaded only when `mockTokenEndpoint` is first called.
 */
export { mockTokenEndpoint } from './mock-token-endpoint.js'
export { staticTokenManager } from './static-token-manager.js'
export type { StaticTokenInput, StaticTokenManager, StaticTokenManagerCalls, StaticTokenManagerOptions } from './static-token-manager.js'
export { createTokenServer } from './token-server.js'
export type {
	Approval,
	FailNextOptions,
	IssueCodeOptions,
	IssuedToken,
	JwtFormat,
	MockTokenEndpoint,
	OAuthErrorCode,
	ResponseContext,
	RevocationRequest,
	SeenClientAuth,
	TokenEndpointFailure,
	TokenEndpointRequest,
	TokenFormat,
	TokenServer,
	TokenServerOptions,
} from './types.js'
