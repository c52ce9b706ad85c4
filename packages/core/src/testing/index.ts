/**
 * `@tokenwarden/core/testing`: helpers for testing applications that use tokenwarden, with no real
 * token endpoint. Never imported by `@tokenwarden/core` itself, so it stays out of production bundles.
 * `mockTokenEndpoint` needs `nock` (>= 15) installed (an optional peer dependency).
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
