export { createTokenManager } from './manager.js'
export type { ConsentInfo, ExchangeCodeOptions, TokenManager } from './manager.js'
export { memoryStore } from './memory-store.js'
export type { MemoryStoreOptions } from './memory-store.js'
export { createMtlsAgents } from './tls.js'
export type { MtlsAgents } from './tls.js'
export { normaliseScope } from './scope.js'
export {
	AbortError,
	ConsentRequiredError,
	InvalidTokenResponseError,
	OAuthError,
	RateLimitedError,
	StateMismatchError,
	StoreFullError,
	StoreUnavailableError,
	TokenEndpointError,
	TokenWardenError,
} from './errors.js'
export type { ErrorContext, InvalidTokenResponseReason } from './errors.js'
export type { AuthorizationRequest, AuthorizationUrlOptions } from './authorization-request.js'
export type { Token, TokenRequest } from './types/token.js'
export type { StoredTokenSet, StoreFailure, StoreFailureKind, StoreLock, StoreLockOptions, StoreSetOptions, TokenStore } from './types/store.js'
export type {
	BaseTokenManagerOptions,
	ClientAuthMethod,
	ClientSecretOptions,
	Clock,
	FetchLike,
	NoClientAuthOptions,
	PrivateKeyInput,
	PrivateKeyJwtOptions,
	RateLimitOptions,
	RetryOptions,
	TlsClientAuthOptions,
	TlsOptions,
	TokenManagerOptions,
} from './types/options.js'
export type {
	ConsentExpiringEvent,
	ConsentRequiredEvent,
	ExpirySource,
	InvalidateEvent,
	Logger,
	RateLimitedEvent,
	RefreshErrorEvent,
	RetryEvent,
	StoreErrorEvent,
	TokenErrorEvent,
	TokenEvent,
	TokenWardenEvent,
} from './types/events.js'
