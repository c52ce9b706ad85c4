import type { TokenManager } from '../manager.js'

/** Which token a request gets ([RFC 6749 §3.3](https://www.rfc-editor.org/rfc/rfc6749#section-3.3) scope, and the account holder for consented tokens). */
export interface RequestTokenOptions {
	/** Scope of the token: space-separated string or array. Defaults to the client's, then the manager's. */
	scope?: string | readonly string[] | undefined
	/** Account holder whose consented tokens to use (authorization code grant). Defaults to the client's. */
	subject?: string | undefined
}

/** Options every HTTP client adapter takes (`withTokens(client, manager, options)`). */
export interface AdapterOptions extends RequestTokenOptions {
	/**
	 * Origins (`scheme://host[:port]`) that may receive tokens, in addition to the origin of the
	 * client's base URL. A client without a base URL must name them.
	 */
	origins?: readonly string[] | undefined
	/** After a 401 from an allowed origin, drop the token sent and retry once with a fresh one. Default true. */
	retryUnauthorized?: boolean | undefined
	/**
	 * Decides which responses reject the token (then it is dropped and, once, the request retried with a
	 * new one), like axios-auth-refresh's `statusCodes` / `shouldRefresh`. Called for every response from
	 * an allowed origin to a request that carried a token; return `true` for "this token is rejected".
	 * Default: a 401, unless its `WWW-Authenticate` Bearer challenge says `error="insufficient_scope"`
	 * ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)). A response from an origin that
	 * is not allowed (after a redirect) never rejects the token, whatever this says. Keep it synchronous and cheap.
	 *
	 * @example A provider that answers 403 for an expired token
	 * ```ts
	 * isTokenRejected: (response) => response.status === 401 || (response.status === 403 && response.headers.get('x-error') === 'token_expired')
	 * ```
	 */
	isTokenRejected?: ((response: ResponseView) => boolean) | undefined
}

/**
 * What the 401 policy reads of a response: its status, its final URL after redirects (when the
 * client tells), and its headers. A fetch `Response` is one; other adapters pass their response
 * (axios' `AxiosHeaders` has `get` too) or a small view of it.
 */
export interface ResponseView {
	/** HTTP status code. */
	readonly status: number
	/** The URL that answered, after redirects; absent or empty when the client does not tell. */
	readonly url?: string | undefined
	/** Header lookup by (case-insensitive) name: a string, a list of strings, or null/undefined when absent. */
	readonly headers: {
		/** The value of one response header (case-insensitive name), or null/undefined when absent. */
		get(name: string): unknown
	}
}

/** The manager methods an adapter uses: a {@link TokenManager} or anything shaped like one (a test double). */
export type TokenSource = Pick<TokenManager, 'getToken' | 'invalidate'>
