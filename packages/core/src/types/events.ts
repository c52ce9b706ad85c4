/** Where a token's expiry came from. */
export type ExpirySource = 'jwt-exp' | 'expires_in' | 'default'

/** A token was obtained and cached. */
export interface TokenEvent {
	type: 'token'
	key: string
	grantType: string
	expiresAt: number
	expirySource: ExpirySource
	/** Estimated local clock minus issuer clock, in ms (0 when unknown). */
	clockSkew: number
	subject?: string | undefined
}

/** A background refresh (inside `refreshAhead`) failed; the cached token is still served. */
export interface RefreshErrorEvent {
	type: 'refresh-error'
	key: string
	error: Error
	subject?: string | undefined
}

/** A token request attempt failed and will be retried. */
export interface RetryEvent {
	type: 'retry'
	attempt: number
	delay: number
	status?: number | undefined
	reason: 'network' | 'status' | 'timeout'
}

/** An account holder's consent is gone (no, expired or rejected refresh token). */
export interface ConsentRequiredEvent {
	type: 'consent-required'
	subject: string
	reason: 'no_refresh_token' | 'refresh_token_expired' | 'invalid_grant'
}

/** An account holder's refresh token lapses soon: ask for consent again in time. */
export interface ConsentExpiringEvent {
	type: 'consent-expiring'
	subject: string
	refreshExpiresAt: number
}

/** The store failed or was too slow; the manager carried on with its in-process state. */
export interface StoreErrorEvent {
	type: 'store-error'
	operation: 'get' | 'set' | 'delete' | 'compareAndDelete' | 'lock'
	error: Error
}

/** A token was invalidated (compare-and-delete succeeded). */
export interface InvalidateEvent {
	type: 'invalidate'
	key: string
}

/** Every event the manager reports to `onEvent`, told apart by `type`. */
export type TokenWardenEvent = TokenEvent | RefreshErrorEvent | RetryEvent | ConsentRequiredEvent | ConsentExpiringEvent | StoreErrorEvent | InvalidateEvent

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
