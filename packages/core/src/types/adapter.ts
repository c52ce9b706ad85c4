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
}

/** The manager methods an adapter uses: a {@link TokenManager} or anything shaped like one (a test double). */
export type TokenSource = Pick<TokenManager, 'getToken' | 'invalidate'>
