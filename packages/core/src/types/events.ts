/** Where a token's expiry came from. */
export type ExpirySource = 'jwt-exp' | 'expires_in' | 'default'

/** A token was obtained and cached. */
export interface TokenEvent {
	/** Event kind. */
	type: 'token'
	/** Cache key of the token (token URL, client id, scope and subject; no secret). */
	key: string
	/** Grant that produced it: `client_credentials`, `authorization_code` or `refresh_token`. */
	grantType: string
	/** When the access token expires, epoch ms (local clock). */
	expiresAt: number
	/** What `expiresAt` was computed from. */
	expirySource: ExpirySource
	/** Estimated local clock minus issuer clock, in ms (0 when unknown). */
	clockSkew: number
	/**
	 * Present when the server gave the token less than a second to live: that lifetime, in ms. The token
	 * was handed to the callers waiting for it and kept for one second (`expiresAt`), rather than being
	 * requested again on every call.
	 */
	shortLifetime?: number | undefined
	/** The account holder, for a holder's token. */
	subject?: string | undefined
}

/** A background refresh (inside `refreshAhead`) failed; the cached token is still served. */
export interface RefreshErrorEvent {
	/** Event kind. */
	type: 'refresh-error'
	/** Cache key of the token that was being refreshed. */
	key: string
	/** Why the refresh failed. */
	error: Error
	/** The account holder, for a holder's token. */
	subject?: string | undefined
}

/** A token request attempt failed and will be retried. */
export interface RetryEvent {
	/** Event kind. */
	type: 'retry'
	/** The attempt that failed, from 1. */
	attempt: number
	/** Wait before the next attempt, in ms (backoff, or the server's `Retry-After`). */
	delay: number
	/** HTTP status of the failed attempt, absent for network failures and timeouts. */
	status?: number | undefined
	/** What failed: the connection, the status (5xx, 429), or the attempt timed out. */
	reason: 'network' | 'status' | 'timeout'
}

/** An account holder's consent is gone (no, expired or rejected refresh token). */
export interface ConsentRequiredEvent {
	/** Event kind. */
	type: 'consent-required'
	/** The account holder who must consent again. */
	subject: string
	/** No refresh token, a lapsed one, or the server answered `invalid_grant`. */
	reason: 'no_refresh_token' | 'refresh_token_expired' | 'invalid_grant'
}

/** An account holder's refresh token lapses soon: ask for consent again in time. */
export interface ConsentExpiringEvent {
	/** Event kind. */
	type: 'consent-expiring'
	/** The account holder whose consent lapses. */
	subject: string
	/** When the refresh token lapses, epoch ms. */
	refreshExpiresAt: number
}

/** The store failed or was too slow; the manager carried on with its in-process state. */
export interface StoreErrorEvent {
	/** Event kind. */
	type: 'store-error'
	/** The store method that failed or timed out. */
	operation: 'get' | 'set' | 'delete' | 'compareAndDelete' | 'lock'
	/** What the store threw, or the timeout. */
	error: Error
}

/** A token was invalidated (compare-and-delete succeeded). */
export interface InvalidateEvent {
	/** Event kind. */
	type: 'invalidate'
	/** Cache key of the invalidated token. */
	key: string
}

/** A token request that callers were waiting for failed (background refreshes report `refresh-error` instead). */
export interface TokenErrorEvent {
	/** Event kind. */
	type: 'token-error'
	/** Cache key of the token that was asked for. */
	key: string
	/** Grant of the failed request: `client_credentials`, `authorization_code` or `refresh_token`. */
	grantType: string
	/** The `code` of the error callers got, for example `OAUTH_ERROR` or `RATE_LIMITED`. */
	code: string
	/** HTTP status of the last attempt, when there was a response. */
	status?: number | undefined
	/** Attempts made at the token endpoint, retries included (0 when none was made). */
	attempts: number
	/** The account holder, for a holder's token. */
	subject?: string | undefined
}

/** A token request started waiting for the `rateLimit` budget. */
export interface RateLimitedEvent {
	/** Event kind. */
	type: 'rate-limited'
	/** Cache key of the token being requested. */
	key: string
	/** How long until the budget has room for it, ms (past the manager's `timeout`, the request fails with `RATE_LIMITED`). */
	waitMs: number
}

/** Every event the manager reports to `onEvent`, told apart by `type`. */
export type TokenWardenEvent =
	| TokenEvent
	| RefreshErrorEvent
	| RetryEvent
	| ConsentRequiredEvent
	| ConsentExpiringEvent
	| StoreErrorEvent
	| InvalidateEvent
	| TokenErrorEvent
	| RateLimitedEvent

/** Console-compatible logger. */
export interface Logger {
	/** Detail for diagnosis, off in most setups. */
	debug(message: string, data?: Record<string, unknown>): void
	/** Normal operation worth a line. */
	info(message: string, data?: Record<string, unknown>): void
	/** Something works but is not as it should be (for example an http token URL). */
	warn(message: string, data?: Record<string, unknown>): void
	/** Something failed. */
	error(message: string, data?: Record<string, unknown>): void
}
