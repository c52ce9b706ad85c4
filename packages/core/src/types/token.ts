/**
 * An access token as handed to callers.
 *
 * `accessToken` is the secret; the object hides it from `util.inspect`, `JSON.stringify`
 * and snapshot serialisers so that logging a token by mistake does not leak it.
 */
export interface Token {
	/** The access token string, to send as `Authorization: <tokenType> <accessToken>`. */
	readonly accessToken: string
	/** Normalised token type: `'Bearer'` for any casing of bearer ([RFC 6750 §4](https://www.rfc-editor.org/rfc/rfc6750#section-4)). */
	readonly tokenType: string
	/** When the token expires, in epoch milliseconds on the local clock (already corrected for issuer clock skew). */
	readonly expiresAt: number
	/** Scopes granted, or the requested ones when the server did not echo `scope` ([RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1)). */
	readonly scope: readonly string[]
	/** The account holder the token acts for (authorization code grant); absent for client credentials. */
	readonly subject?: string | undefined
}

/** Arguments of {@link TokenManager.getToken}. */
export interface TokenRequest {
	/** Scope for this token: space-separated string or array. Defaults to the manager's `scope`. */
	scope?: string | readonly string[] | undefined
	/** Account holder whose consented tokens to use (authorization code grant). */
	subject?: string | undefined
	/** Aborts this caller's wait only; a shared token request carries on for the other waiters. */
	signal?: AbortSignal | undefined
	/** Skip the cached token and obtain a new one (joins a request already in flight). */
	forceRefresh?: boolean | undefined
}
