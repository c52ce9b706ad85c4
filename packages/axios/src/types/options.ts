import type { TokenManager } from '@tokenwarden/core'

/** Which token a request gets ([RFC 6749 §3.3](https://www.rfc-editor.org/rfc/rfc6749#section-3.3) scope, and the account holder for consented tokens). */
export interface RequestTokenOptions {
	/** Scope of the token: space-separated string or array. Defaults to the client's, then the manager's. */
	scope?: string | readonly string[] | undefined
	/** Account holder whose consented tokens to use (authorization code grant). Defaults to the client's. */
	subject?: string | undefined
}

/**
 * The per-request `tokenwarden` option: `false` sends no token, an object picks the token.
 * Leave it out for the client's defaults.
 */
export type TokenwardenRequestOption = false | RequestTokenOptions

/** Options of {@link withTokens}. */
export interface WithTokensOptions extends RequestTokenOptions {
	/**
	 * Origins (`scheme://host[:port]`) that may receive tokens, in addition to the origin of the
	 * client's `baseURL`. A client without `baseURL` must name them.
	 */
	origins?: readonly string[] | undefined
	/** After a 401 from an allowed origin, drop the token sent and retry once with a fresh one. Default true. */
	retryUnauthorized?: boolean | undefined
}

/** The manager methods the adapter uses: a {@link TokenManager} or anything shaped like one. */
export type TokenSource = Pick<TokenManager, 'getToken' | 'invalidate'>

declare module 'axios' {
	// The type parameters must match axios' own declaration (axios >= 1.19 has `<D, P>`).
	interface AxiosRequestConfig<D = any, P = any> {
		/** Token for this request: `false` for none, or `{ scope, subject }` (see `@tokenwarden/axios`). */
		tokenwarden?: TokenwardenRequestOption | undefined
	}
}
