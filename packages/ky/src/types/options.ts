import type { TokenManager } from '@tokenwarden/core'

/** Which token a request gets ([RFC 6749 §3.3](https://www.rfc-editor.org/rfc/rfc6749#section-3.3) scope, and the account holder for consented tokens). */
export interface RequestTokenOptions {
	/** Scope of the token: space-separated string or array. Defaults to the client's, then the manager's. */
	scope?: string | readonly string[] | undefined
	/** Account holder whose consented tokens to use (authorization code grant). Defaults to the client's. */
	subject?: string | undefined
}

/**
 * The per-request ky `context` this adapter reads: `tokenwarden: false` sends no token, an object
 * picks the token. ky types `context` as `Record<string, unknown>`, so check yours with
 * `context: { tokenwarden: { subject } } satisfies TokenwardenContext`.
 * (A type alias, not an interface: it must stay assignable to ky's `Record<string, unknown>`.)
 */
export type TokenwardenContext = {
	tokenwarden?: false | RequestTokenOptions | undefined
}

/** Options of {@link withTokens}. */
export interface WithTokensOptions extends RequestTokenOptions {
	/**
	 * Origins (`scheme://host[:port]`) that may receive tokens, in addition to the origin of the
	 * client's `baseUrl` / `prefix`. A client without either must name them.
	 */
	origins?: readonly string[] | undefined
	/** After a 401 from an allowed origin, drop the token sent and retry once with a fresh one. Default true. */
	retryUnauthorized?: boolean | undefined
}

/** Options of {@link tokenHooks}: hooks do not know the client they end up on, so `origins` is required. */
export interface TokenHooksOptions extends WithTokensOptions {
	origins: readonly string[]
}

/** The manager methods the adapter uses: a {@link TokenManager} or anything shaped like one. */
export type TokenSource = Pick<TokenManager, 'getToken' | 'invalidate'>
