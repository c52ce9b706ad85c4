import type { ApiRequestDecoration } from '@tokenwarden/core/providers'
import type { AdapterOptions, RequestTokenOptions, ResponseView, TokenSource } from '@tokenwarden/core/adapter'

export type { ApiRequestDecoration }
export type { RequestTokenOptions, ResponseView, TokenSource }

/** The per-request `tokenwarden` option: `false` sends no token, an object picks the token. Leave it out for the client's defaults. */
export type TokenwardenRequestOption = false | RequestTokenOptions

/**
 * Options of {@link withTokens}: `baseUrl`, `origins`, `scope`, `subject`, `retryUnauthorized`, `isTokenRejected`, `decorate`.
 * `origins` is required unless `baseUrl` is given: a plain fetch has no base origin to default to.
 */
export interface WithTokensOptions extends AdapterOptions {
	/**
	 * Relative inputs (`'/cob'`, `'cob'`) are resolved against it by standard URL resolution (like ky's
	 * `baseUrl`, or an `<a href>`); its origin may receive tokens. An absolute http(s) URL.
	 */
	baseUrl?: string | URL | undefined
	/**
	 * What the provider's API needs on every request besides the token: an {@link ApiRequestDecoration}
	 * `{ searchParams, headers }`, as `bancoDoBrasilApi()`, `sicoobApi()` and `interApi()` from
	 * `@tokenwarden/core/providers` return it. Added only to requests that carry a token to an allowed
	 * origin (an application key is a credential too: never to another origin, nor with `tokenwarden: false`),
	 * and never over a query parameter or header the request already has. Checked when installed.
	 */
	decorate?: ApiRequestDecoration | undefined
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
