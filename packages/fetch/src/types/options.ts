import type { AdapterOptions, RequestTokenOptions, ResponseView, TokenSource } from '@tokenwarden/core/adapter'

export type { RequestTokenOptions, ResponseView, TokenSource }

/** The per-request `tokenwarden` option: `false` sends no token, an object picks the token. Leave it out for the client's defaults. */
export type TokenwardenRequestOption = false | RequestTokenOptions

/**
 * Options of {@link withTokens}: `baseUrl`, `origins`, `scope`, `subject`, `retryUnauthorized`, `isTokenRejected`.
 * `origins` is required unless `baseUrl` is given: a plain fetch has no base origin to default to.
 */
export interface WithTokensOptions extends AdapterOptions {
	/**
	 * Relative inputs (`'/cob'`, `'cob'`) are resolved against it by standard URL resolution (like ky's
	 * `baseUrl`, or an `<a href>`); its origin may receive tokens. An absolute http(s) URL.
	 */
	baseUrl?: string | URL | undefined
}

/** Options of {@link tokenInterceptor}: `origins` (required), `scope`, `subject`, `retryUnauthorized`, `isTokenRejected`. */
export interface TokenInterceptorOptions extends AdapterOptions {
	/** Origins (`scheme://host[:port]`) whose requests get tokens. Required: a dispatcher has no base URL of its own to default to. */
	origins: readonly string[]
}

declare global {
	interface RequestInit {
		/** Token for this request through `withTokens` from `@tokenwarden/fetch`: `false` for none, or `{ scope, subject }`. Plain fetch ignores it. */
		tokenwarden?: TokenwardenRequestOption | undefined
	}
}
